// The daemon against a REAL Prometheus that scrapes a metrics source the test controls and loads
// the SAME rule file: pending and firing moments agree with Prometheus's /api/v1/alerts within one
// evaluation interval; the rollback happens exactly once (flag file + audit log); an outage of
// Prometheus causes no rollback, `err` health and recovery; a notification reaches a real
// Alertmanager.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/canary/main.js';
import {
  createPrometheusClient,
  type QueryOutcome,
} from '../../src/canary/prometheus/prometheus-client.js';
import { planRuleQuery } from '../../src/canary/prometheus/rule-query.js';
import { checkPromql } from '../../src/canary/rules/promql.js';
import { createFileFlagStore } from '../../src/flags/file-flag-store.js';
import { createLogger } from '../../src/shared/logger.js';
import {
  eventually,
  startAlertmanager,
  startPrometheus,
  type AlertmanagerHandle,
  type PrometheusHandle,
} from '../harness/index.js';
import { startMetricsSource, type MetricsSource } from '../fakes/metrics-source.js';
import { alertRule } from '../fakes/rule-fixtures.js';

const RULES = path.resolve('test/integration/fixtures/daemon-rules.yml');
const INTERVAL_MS = 1000;
const BOOTSTRAP = {
  aiSearchEnabled: true,
  rolloutPercentage: 50,
  internalUsers: true,
  betaUsers: false,
};
const logger = createLogger({
  name: 'daemon-it',
  level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
});

let source: MetricsSource;
let prom: PrometheusHandle;
let am: AlertmanagerHandle;
let dir: string;
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  source = await startMetricsSource();
  source.set('test_ai_error_ratio', 0);
  source.set('test_api_error_ratio', 0);
  // For the rules asked in parts: values on both sides of thresholds, NaN, partial label overlap.
  source.set('part_a', 0.3, { k: 'x', i: '0' });
  source.set('part_a', 0.05, { k: 'y', i: '1' });
  source.set('part_a', NaN, { k: 'z', i: '2' });
  source.set('part_b', 1, { k: 'x' });
  source.set('part_b', 0, { k: 'y' });
  prom = await startPrometheus({
    scrapeTargets: [{ job: 'source', targets: [source.target] }],
    ruleFiles: [RULES],
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
  am = await startAlertmanager();
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-daemon-it-'));
  await eventually(async () => ((await prom.query('part_b')).length > 0 ? true : undefined), {
    what: 'first scrape',
  });
});
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
  source.set('test_ai_error_ratio', 0);
  source.set('test_api_error_ratio', 0);
  await eventually(async () => ((await prom.alerts()).length === 0 ? true : undefined), {
    what: "Prometheus's alerts to clear",
  });
});
afterAll(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
  await am?.stop();
  await prom?.stop();
  await source?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(name: string, extra: Partial<Parameters<typeof startDaemon>[0]> = {}) {
  const flagsFile = path.join(dir, name, 'flags.json');
  const flags = createFileFlagStore({ path: flagsFile, bootstrap: BOOTSTRAP, logger });
  await flags.ensureFlagFile();
  const d = await startDaemon({
    ruleFiles: [RULES],
    prometheusUrl: prom.url,
    dataDir: path.join(dir, name),
    flagsFile,
    port: 0,
    host: '127.0.0.1',
    intervalMs: INTERVAL_MS,
    queryTimeoutMs: 2000,
    bootstrap: BOOTSTRAP,
    logger,
    ...extra,
  });
  daemons.push(d);
  return { d, flags };
}

interface ApiRule {
  name: string;
  state: string;
  health: string;
  lastError: string | null;
  instances: { state: string; activeAt: string }[];
}
async function daemonRule(d: RunningDaemon, name: string): Promise<ApiRule> {
  const body = (await (await fetch(`${d.url}/api/rules`)).json()) as { rules: ApiRule[] };
  return body.rules.find((r) => r.name === name)!;
}

/** Polls both every 100 ms and notes when each first shows the alert pending and firing. */
async function watchMoments(d: RunningDaemon, alert: string, untilMs: number) {
  const seen: Record<string, number | undefined> = {};
  const activeAt: { prom?: number; daemon?: number } = {};
  const deadline = Date.now() + untilMs;
  while (
    Date.now() < deadline &&
    (seen['prom-firing'] === undefined || seen['daemon-firing'] === undefined)
  ) {
    const [p, r] = await Promise.all([prom.alerts(), daemonRule(d, alert)]);
    const pa = p.find((a) => a.labels.alertname === alert);
    if (pa) {
      seen[`prom-${pa.state}`] ??= Date.now();
      activeAt.prom ??= Date.parse(pa.activeAt);
    }
    if (r.state !== 'inactive') {
      seen[`daemon-${r.state}`] ??= Date.now();
      activeAt.daemon ??= Date.parse(r.instances[0]!.activeAt);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return { seen, activeAt };
}

describe('batched queries on a real Prometheus', () => {
  it('give exactly what one query per expression gives, tricky cases included', async () => {
    const exprs = [
      'test_ai_error_ratio > -1',
      '{__name__=~"test_ai_error_ratio|test_api_error_ratio"} >= 0', // two series differing only by name
      'test_ai_error_ratio > -1', // the same expression twice: same label sets
      'test_ai_error_ratio > 100', // no data
      'test_ai_error_ratio / 0 * 0', // NaN
      'scalar(test_ai_error_ratio)', // a scalar: the batch is refused and re-run per expression
      'sum by (job) (test_ai_error_ratio)',
    ];
    const at = Date.now();
    const one = createPrometheusClient({ url: prom.url, timeoutMs: 5000, batchSize: 1 });
    const batched = createPrometheusClient({ url: prom.url, timeoutMs: 5000 });
    const sort = (r: Awaited<ReturnType<typeof one.queryMany>>) =>
      r.map((x) =>
        x.ok
          ? [...x.samples].sort((a, b) =>
              JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)),
            )
          : x,
      );
    expect(sort(await batched.queryMany(exprs, at))).toEqual(sort(await one.queryMany(exprs, at)));
    const withoutScalar = exprs.filter((e) => !e.startsWith('scalar'));
    expect(sort(await batched.queryMany(withoutScalar, at))).toEqual(
      sort(await one.queryMany(withoutScalar, at)),
    );
  });
});

describe('rules asked in parts (left side and guards) on a real Prometheus', () => {
  it('give exactly what Prometheus gives for the whole expression', async () => {
    const exprs = [
      'part_a > 0.1',
      'part_a != 0.05', // NaN != x holds
      '0.1 < part_a',
      'part_a <= 0.05',
      'part_a >= 0 and on() sum(part_b) >= 1',
      'part_a >= 0 and on() sum(part_b) >= 100', // the guard has no data
      'part_a >= 0 and on(k) part_b > 0',
      'part_a > -1 unless on(k) part_b > 0',
      'part_a > -1 and ignoring(i) part_b',
      'part_a > -1 and part_b', // default matching: `i` differs, nothing matches
      '(part_a > -1 and on(k) part_b) unless on() absent(part_b)',
      'part_a == 0.3 and on(k, job) part_b',
    ];
    const at = Date.now();
    const client = createPrometheusClient({ url: prom.url, timeoutMs: 5000 });
    const sorted = (o: QueryOutcome) =>
      o.ok
        ? [...o.samples].sort((a, b) =>
            JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)),
          )
        : o;
    for (const expr of exprs) {
      const checked = checkPromql(expr);
      if (!checked.ok || checked.threshold?.guards === undefined)
        throw new Error(`${expr}: not asked in parts`);
      const plan = planRuleQuery(alertRule('parts', { expr, threshold: checked.threshold }));
      expect(plan.exprs.length).toBe(1 + checked.threshold.guards.length);
      const parts = plan.derive(await client.queryMany(plan.exprs, at));
      const whole = await client.query(expr, at);
      expect(sorted(parts.result), expr).toEqual(sorted(whole));
    }
    client.close();
  });
});

describe('daemon beside a real Prometheus on the same rule file', () => {
  it('goes pending and firing when Prometheus does (within one interval) and rolls back exactly once', async () => {
    const { d, flags } = await start('agree');
    source.set('test_ai_error_ratio', 0.3);
    const { seen, activeAt } = await watchMoments(d, 'ai_service_failure', 30_000);
    if (process.env.DAEMON_IT_REPORT)
      console.info('agreement (ms):', {
        activeAt: activeAt.daemon! - activeAt.prom!,
        pendingSeen: seen['daemon-pending']! - seen['prom-pending']!,
        firingSeen: seen['daemon-firing']! - seen['prom-firing']!,
      });
    expect(Math.abs(activeAt.prom! - activeAt.daemon!)).toBeLessThanOrEqual(INTERVAL_MS);
    // Observed by polling (100 ms) on top of the slot difference.
    expect(Math.abs(seen['prom-firing']! - seen['daemon-firing']!)).toBeLessThanOrEqual(
      INTERVAL_MS + 300,
    );
    await eventually(
      async () =>
        (await flags.getRollout('ai-search-enabled'))?.enabled === false ? true : undefined,
      { what: 'flag off' },
    );
    await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS)); // keeps firing: no second rollback
    const audit = await flags.history({ flag: 'ai-search-enabled' });
    const byDaemon = audit.filter((e) => e.actor === 'canary-daemon');
    expect(byDaemon).toHaveLength(1);
    expect(byDaemon[0]!.context).toMatchObject({
      rule: 'ai_service_failure',
      expr: 'test_ai_error_ratio > 0.1',
      value: 0.3,
      for: '5s',
    });
    expect(byDaemon[0]!.reason).toMatch(/ai_service_failure: value 0.3 > 0.1/);
  });

  it('knows the recorded series the alerts use (Prometheus evaluates the record rules)', async () => {
    const { d } = await start('series');
    const body = (await (await fetch(`${d.url}/api/rules`)).json()) as {
      recordedSeries: { checked: boolean; missing: string[] };
    };
    expect(body.recordedSeries).toEqual({
      checked: true,
      missing: [],
      awaitingData: [],
      error: undefined,
    });
  });

  it('Prometheus stopped: no rollback, health err, CanaryPrometheusUnreachable; recovery when it returns', async () => {
    const { d, flags } = await start('outage', { failureThreshold: 2 });
    await eventually(
      async () => ((await daemonRule(d, 'ai_service_failure')).health === 'ok' ? true : undefined),
      { what: 'first evaluation' },
    );
    await prom.pause();
    try {
      const r = await eventually(
        async () => {
          const x = await daemonRule(d, 'ai_service_failure');
          return x.health === 'err' ? x : undefined;
        },
        { what: 'health err' },
      );
      expect(r.lastError).toMatch(/refused the connection|did not answer|closed the connection/);
      const unreachable = await eventually(
        async () => {
          const x = await daemonRule(d, 'CanaryPrometheusUnreachable');
          return x.state === 'firing' ? x : undefined;
        },
        { what: "the daemon's own alert" },
      );
      expect(unreachable.health).toBe('err');
      expect(await (await fetch(`${d.url}/healthz`)).json()).toMatchObject({
        prometheus: 'err',
        status: 'degraded',
      });
    } finally {
      await prom.start();
    }
    await eventually(
      async () => ((await daemonRule(d, 'ai_service_failure')).health === 'ok' ? true : undefined),
      { what: 'recovery' },
    );
    expect((await daemonRule(d, 'CanaryPrometheusUnreachable')).state).toBe('inactive');
    expect(
      (await flags.history({ flag: 'ai-search-enabled' })).filter(
        (e) => e.actor === 'canary-daemon',
      ),
    ).toHaveLength(0);
    expect((await flags.getRollout('ai-search-enabled'))?.enabled).toBe(true);
  });

  it('a notify_dev_team alert reaches a real Alertmanager', async () => {
    await start('notify', { alertmanagerUrl: am.url });
    source.set('test_api_error_ratio', 0.2);
    const alert = await eventually(
      async () => (await am.alerts()).find((a) => a.labels.alertname === 'high_error_rate'),
      { what: 'the alert in Alertmanager' },
    );
    expect(alert.labels).toMatchObject({
      team: 'dev',
      action: 'notify_dev_team',
      severity: 'critical',
    });
    expect(alert.annotations.summary).toBe('API error rate above 5%');
    expect(alert.status.state).toBe('active');
    // The resolved notice (endsAt = now) ends it in Alertmanager at once, not 4 resend delays later.
    source.set('test_api_error_ratio', 0);
    await eventually(
      async () =>
        (await am.alerts()).some((a) => a.labels.alertname === 'high_error_rate')
          ? undefined
          : true,
      { what: 'the alert to resolve in Alertmanager' },
    );
  });
});
