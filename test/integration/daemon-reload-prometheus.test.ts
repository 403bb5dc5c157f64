// Reload parity: the daemon and a REAL Prometheus load the same rule file, an alert goes pending in
// both, the file is edited and both reload (Prometheus by POST /-/reload). An edited threshold and
// annotation keep the alert's activeAt in both (Prometheus's CopyState); a new label starts it
// over in both. The daemon's activeAt matches Prometheus's within one evaluation interval (the two
// place the group at different phases of the interval) before and after each reload.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/canary/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { eventually, startPrometheus, type PrometheusHandle } from '../harness/index.js';
import { startMetricsSource, type MetricsSource } from '../fakes/metrics-source.js';

const INTERVAL_MS = 1000;
const logger = createLogger({ name: 'reload-it', level: 'silent' });

const ruleFile = (threshold: string, summary: string, extraLabel = '') => `
groups:
  - name: canary-reload-it
    interval: 1s
    rules:
      - alert: ai_service_failure
        expr: test_ai_error_ratio > ${threshold}
        # Long enough that the alert is still pending after two reloads on a busy machine.
        for: 10m
        labels:
          action: immediate_rollback
          flag: ai-search-enabled${extraLabel}
        annotations:
          summary: '${summary}'
`;

let source: MetricsSource;
let prom: PrometheusHandle;
let daemon: RunningDaemon;
let dir: string;
let rules: string;
let promOptions: Parameters<typeof startPrometheus>[0];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-reload-it-'));
  rules = path.join(dir, 'rules.yml');
  await writeFile(rules, ruleFile('0.1', 'above 10%'));
  source = await startMetricsSource();
  source.set('test_ai_error_ratio', 0);
  promOptions = {
    scrapeTargets: [{ job: 'source', targets: [source.target] }],
    ruleFiles: [rules],
  };
  prom = await startPrometheus(promOptions);
  daemon = await startDaemon({
    ruleFiles: [rules],
    prometheusUrl: prom.url,
    dataDir: path.join(dir, 'data'),
    flagsFile: path.join(dir, 'flags.json'),
    port: 0,
    host: '127.0.0.1',
    intervalMs: INTERVAL_MS,
    dryRun: true,
    watchRuleFiles: false,
    logger,
  });
});
afterAll(async () => {
  await daemon?.close();
  await prom?.stop();
  await source?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Seen {
  prom: number;
  daemon: number;
  summary: string;
}

/** Both sides' pending alert once Prometheus shows `summary` (proof it runs the edited file). */
async function pendingIn(summary: string, notBefore = 0): Promise<Seen> {
  return eventually(
    async () => {
      const p = (await prom.alerts()).find((a) => a.labels.alertname === 'ai_service_failure');
      const body = (await (await fetch(`${daemon.url}/api/rules`)).json()) as {
        rules: { name: string; instances: { state: string; activeAt: string }[] }[];
      };
      const d = body.rules.find((r) => r.name === 'ai_service_failure')?.instances[0];
      if (p?.state !== 'pending' || p.annotations.summary !== summary) return undefined;
      if (d?.state !== 'pending') return undefined;
      const seen = { prom: Date.parse(p.activeAt), daemon: Date.parse(d.activeAt), summary };
      return seen.prom >= notBefore && seen.daemon >= notBefore ? seen : undefined;
    },
    { what: `both pending with summary "${summary}"`, timeoutMs: 60_000, intervalMs: 100 },
  );
}

async function reloadBoth(text: string): Promise<void> {
  await writeFile(rules, text);
  await prom.reconfigure(promOptions!); // the same config: POST /-/reload re-reads the rule file
  expect(await daemon.reload('test')).toMatchObject({ ok: true });
}

describe('reload keeps alert state as Prometheus does', () => {
  it('an edited threshold and annotation keep activeAt in both; a new label restarts it in both', async () => {
    source.set('test_ai_error_ratio', 0.3);
    const first = await pendingIn('above 10%');
    expect(Math.abs(first.daemon - first.prom)).toBeLessThanOrEqual(INTERVAL_MS);

    await reloadBoth(ruleFile('0.2', 'above 20%'));
    const edited = await pendingIn('above 20%');
    // Wait one more evaluation of the daemon's new group, so its state is the post-reload one.
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    const settled = await pendingIn('above 20%');
    expect(settled.prom).toBe(first.prom); // Prometheus carried the alert (CopyState)
    expect(edited.daemon).toBe(first.daemon); // and so did the daemon
    expect(settled.daemon).toBe(first.daemon);

    const reloadedAt = Date.now();
    await reloadBoth(ruleFile('0.2', 'relabelled', '\n          team: web'));
    const relabelled = await pendingIn('relabelled', reloadedAt - INTERVAL_MS);
    expect(relabelled.prom).toBeGreaterThan(first.prom); // a new rule for Prometheus
    expect(relabelled.daemon).toBeGreaterThan(first.daemon); // and for the daemon
    expect(Math.abs(relabelled.daemon - relabelled.prom)).toBeLessThanOrEqual(INTERVAL_MS);
  });
});
