// One alert per incident: a real Prometheus (with external labels, as prometheus.yml has) and two
// daemons (a fleet runs two, docs/scale-out.md) load the same rules and all send the firing alerts
// to a real Alertmanager. Each daemon reads Prometheus's external labels and adds nothing of its
// own, so every copy carries one label set and Alertmanager holds exactly one alert per rule.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/canary/main.js';
import { createLogger } from '../../src/shared/logger.js';
import {
  eventually,
  startAlertmanager,
  startPrometheus,
  type AlertmanagerHandle,
  type PrometheusHandle,
} from '../harness/index.js';

const RULES = path.resolve('test/integration/fixtures/dedupe-rules.yml');
const EXTERNAL = { app: 'ai-search', cluster: 'it' };
const logger = createLogger({
  name: 'dedupe-it',
  level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
});

let am: AlertmanagerHandle;
let prom: PrometheusHandle;
const daemons: RunningDaemon[] = [];
let dir: string;

beforeAll(async () => {
  am = await startAlertmanager();
  prom = await startPrometheus({
    ruleFiles: [RULES],
    evaluationInterval: '1s',
    externalLabels: EXTERNAL,
    alertmanagers: [`127.0.0.1:${am.port}`],
    // Prometheus finds its Alertmanager a few seconds after start and drops what fires before;
    // it sends again after this delay (1m by default).
    extraArgs: ['--rules.alert.resend-delay=2s'],
  });
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-dedupe-it-'));
  for (const name of ['daemon-a', 'daemon-b'])
    daemons.push(
      await startDaemon({
        ruleFiles: [RULES],
        prometheusUrl: prom.url,
        alertmanagerUrl: am.url,
        dataDir: path.join(dir, name),
        flagsFile: path.join(dir, 'flags.json'),
        port: 0,
        host: '127.0.0.1',
        intervalMs: 1000,
        watchRuleFiles: false,
        logger,
      }),
    );
});

afterAll(async () => {
  for (const d of daemons) await d.close();
  await prom?.stop();
  await am?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Alerts Prometheus has delivered to Alertmanager, from its own /metrics. */
async function prometheusSent(): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('prometheus_notifications_sent_total'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

interface ActionRecord {
  readonly action: string;
  readonly rule: string;
  readonly outcome: string;
}

async function daemonDelivered(url: string): Promise<Set<string>> {
  const body = (await (await fetch(`${url}/api/actions`)).json()) as {
    actions: ActionRecord[];
  };
  return new Set(body.actions.filter((a) => a.outcome === 'success').map((a) => a.rule));
}

it('Alertmanager holds exactly one alert per firing rule, sent by Prometheus and by each of two daemons', async () => {
  const rules = ['dedupe_dev_alert', 'dedupe_product_alert'];
  await eventually(
    async () => {
      const sent = await prometheusSent();
      const delivered = await Promise.all(daemons.map((d) => daemonDelivered(d.url)));
      return sent >= rules.length && delivered.every((set) => rules.every((r) => set.has(r)))
        ? true
        : undefined;
    },
    { what: 'Prometheus and both daemons to deliver both alerts', timeoutMs: 60_000 },
  );
  const alerts = await am.alerts();
  const byRule = rules.map((r) => alerts.filter((a) => a.labels.alertname === r));
  expect(byRule.map((copies) => copies.length)).toEqual([1, 1]);
  for (const [copy] of byRule) expect(copy!.labels).toMatchObject(EXTERNAL);
  expect(alerts).toHaveLength(rules.length);
});
