// The daemon as a whole, in-process, on a FakeClock with a scripted Prometheus and a fake flag
// store: restarts keep `for` progress and never repeat a rollback, a corrupt state file is moved
// aside, reloads keep state and keep the old rules when the new file is broken, Prometheus being
// down changes nothing but health, and it is reported by the daemon's own alert.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import { LEVEL } from '../fakes/collecting-logger.js';
import {
  startTestDaemon,
  writeRules,
  NOTIFY_RULE,
  ROLLBACK_RULE,
  type TestDaemon,
} from '../fakes/daemon-harness.js';
import { FakeFlagStore } from '../fakes/fake-flag-store.js';
import { startRecordingWebhook, type RecordingWebhook } from '../fakes/recording-webhook.js';
import { DOWN, ScriptedPrometheus } from '../fakes/scripted-prometheus.js';

let dir: string;
let rulesFile: string;
const running: TestDaemon[] = [];
let hook: RecordingWebhook;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-daemon-'));
  rulesFile = path.join(dir, 'rules.yml');
  hook = await startRecordingWebhook();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.daemon.close()));
  await hook.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(o: Partial<Parameters<typeof startTestDaemon>[0]> = {}) {
  const d = await startTestDaemon({
    dir,
    ruleFiles: [rulesFile],
    options: { webhooks: { dev_team: hook.url } },
    ...o,
  });
  running.push(d);
  return d;
}
async function stop(d: TestDaemon) {
  running.splice(running.indexOf(d), 1);
  await d.daemon.close();
}

describe('restart', () => {
  it('keeps `for` progress when the threshold was edited while it was down (same identity as a reload)', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE);
    const prom = new ScriptedPrometheus();
    // The daemon asks for the threshold's left side and compares itself (rule-query.ts).
    prom.value('ai_error_ratio', 0.3);
    const clock = new FakeClock(1_700_000_000_000);
    const a = await start({ prom, clock });
    await a.step(2);
    const pending = await a.rule('ai_service_failure');
    expect(pending.state).toBe('pending');
    await stop(a);

    await writeRules(rulesFile, ROLLBACK_RULE.replace('> 0.1', '> 0.2'));
    const b = await start({ prom, clock });
    await b.step(1);
    const after = await b.rule('ai_service_failure');
    expect(after.instances[0]!.activeAt).toBe(pending.instances[0]!.activeAt);
    await b.step(3); // 2 + 1 + 3 steps > for: 5s, counted from the original activeAt
    expect((await b.rule('ai_service_failure')).state).toBe('firing');
  });

  it('keeps `for` progress across a restart and never repeats a rollback already done', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE);
    const prom = new ScriptedPrometheus();
    prom.value('ai_error_ratio', 0.3);
    const flags = new FakeFlagStore();
    const clock = new FakeClock(1_700_000_000_000);
    const a = await start({ prom, flags, clock });
    await a.step(3);
    const pending = await a.rule('ai_service_failure');
    expect(pending.state).toBe('pending');
    await stop(a);

    const b = await start({ prom, flags, clock });
    expect((await b.rule('ai_service_failure')).instances[0]!.activeAt).toBe(
      pending.instances[0]!.activeAt,
    );
    await b.step(3); // 3 + 3 steps > for: 5s
    expect((await b.rule('ai_service_failure')).state).toBe('firing');
    await stop(b);
    expect(flags.updates).toHaveLength(1);
    expect(flags.flags.get('ai-search-enabled')?.enabled).toBe(false);

    flags.flags.set('ai-search-enabled', {
      ...flags.flags.get('ai-search-enabled')!,
      enabled: true,
    }); // a person resumes
    const c = await start({ prom, flags, clock });
    await c.step(3);
    expect((await c.rule('ai_service_failure')).state).toBe('firing');
    expect(flags.updates).toHaveLength(1); // same alert instance: not rolled back again
  });

  it('finishes a rollback that a stop interrupted before it held', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE.replace('for: 5s', 'for: 0s'));
    const prom = new ScriptedPrometheus();
    prom.value('ai_error_ratio', 0.3);
    const flags = new FakeFlagStore();
    flags.failWrites = 1_000;
    const clock = new FakeClock(1_700_000_000_000);
    const a = await start({ prom, flags, clock });
    await a.step(2);
    await stop(a);
    const state = JSON.parse(
      await readFile(path.join(dir, 'data', 'canary-state.json'), 'utf8'),
    ) as { rollbacks: Record<string, { status: string }> };
    expect(Object.values(state.rollbacks).map((m) => m.status)).toEqual(['started']);
    flags.failWrites = 0;
    const b = await start({ prom, flags, clock });
    await b.step(2);
    expect(flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
    expect(flags.audit).toHaveLength(1); // turned off exactly once
    await stop(b);
    const after = JSON.parse(
      await readFile(path.join(dir, 'data', 'canary-state.json'), 'utf8'),
    ) as { rollbacks: Record<string, { status: string }> };
    expect(Object.values(after.rollbacks).map((m) => m.status)).toEqual(['done']);
  });

  it('a corrupt state file is moved aside with an ERROR, and the daemon starts fresh', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE);
    const data = path.join(dir, 'data');
    await rm(data, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(data, { recursive: true }));
    await writeFile(path.join(data, 'canary-state.json'), '{"version":1,"rules":{', 'utf8');
    const d = await start();
    const files = await readdir(data);
    expect(files.some((f) => f.startsWith('canary-state.json.corrupt-'))).toBe(true);
    const err = d.lines.find((l) => l.level === LEVEL.error && /unreadable/.test(l.msg));
    expect(err?.msg).toMatch(/moved it to .*corrupt-/);
    await d.step(1);
    expect((await d.rule('ai_service_failure')).health).toBe('ok');
  });
});

describe('dry run, then for real', () => {
  it('an instance a dry run only recorded is rolled back once the daemon runs for real', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE.replace('for: 5s', 'for: 0s'));
    const prom = new ScriptedPrometheus();
    prom.value('ai_error_ratio', 0.3);
    const flags = new FakeFlagStore();
    const clock = new FakeClock(1_700_000_000_000);
    const dry = await start({ prom, flags, clock, options: { webhooks: {}, dryRun: true } });
    await dry.step(3);
    expect(flags.updates).toHaveLength(0);
    const recorded = (await (await dry.get('/api/actions')).json()) as {
      actions: { action: string; outcome: string }[];
    };
    const rollbacks = recorded.actions.filter((a) => a.action === 'immediate_rollback');
    expect(rollbacks.map((a) => a.outcome)).toEqual(['dry_run']); // once per instance
    await stop(dry);
    const real = await start({ prom, flags, clock });
    await real.step(2);
    expect(flags.updates).toHaveLength(1);
    expect(flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
  });
});

describe('reload', () => {
  it('keeps alert state across an edited threshold (as Prometheus), restarts relabelled rules, and keeps the old rules when the new file is broken', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE + NOTIFY_RULE);
    const d = await start();
    d.prom.value('ai_error_ratio', 0.3);
    d.prom.value('api_error_ratio', 0.2);
    await d.step(1);
    const before = await d.rules();
    await d.step(1);
    await writeRules(rulesFile, ROLLBACK_RULE + NOTIFY_RULE.replace('> 0.05', '> 0.07'));
    expect(await d.daemon.reload()).toMatchObject({ ok: true });
    await d.step(1);
    const after = await d.rules();
    const act = (v: typeof before, n: string) =>
      v.rules.find((r) => r.name === n)!.instances[0]!.activeAt;
    expect(act(after, 'ai_service_failure')).toBe(act(before, 'ai_service_failure'));
    // The edited threshold keeps its alert: same activeAt, and it fires on the original schedule.
    expect(act(after, 'high_error_rate')).toBe(act(before, 'high_error_rate'));
    expect(after.rules.find((r) => r.name === 'high_error_rate')!.state).toBe('firing');
    // New labels make it another rule (Prometheus matches name + labels): its alert starts over.
    const relabelled = NOTIFY_RULE.replace('> 0.05', '> 0.07').replace('team: dev', 'team: web');
    await writeRules(rulesFile, ROLLBACK_RULE + relabelled);
    expect(await d.daemon.reload()).toMatchObject({ ok: true });
    await d.step(1);
    const again = await d.rules();
    expect(act(again, 'high_error_rate')).not.toBe(act(before, 'high_error_rate'));
    expect(again.rules.find((r) => r.name === 'high_error_rate')!.state).toBe('pending');

    await writeFile(
      rulesFile,
      'groups:\n  - name: canary\n    rules:\n      - alert: x\n        expr: sum(\n',
      'utf8',
    );
    const broken = await d.daemon.reload();
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.errors[0]).toMatch(/rules\.yml:\d+:\d+: /);
    const queries = d.prom.queries.length;
    await d.step(2);
    expect(d.prom.queries.length).toBeGreaterThan(queries); // old rules still evaluated
    const view = await d.rules();
    expect(view.reload).toMatchObject({ ok: false });
    expect(view.rules.map((r) => r.name)).toContain('ai_service_failure');
    expect(act(view, 'ai_service_failure')).toBe(act(before, 'ai_service_failure'));
    expect(await (await d.get('/metrics')).text()).toMatch(/canary_rule_last_reload_successful 0/);

    await writeRules(rulesFile, ROLLBACK_RULE); // high_error_rate removed
    expect(await d.daemon.reload()).toMatchObject({ ok: true });
    await d.step(1);
    const metrics = await (await d.get('/metrics')).text();
    expect(metrics).not.toContain('rule="high_error_rate"');
    expect(metrics).toMatch(
      /canary_rule_state\{rule="ai_service_failure",state="(pending|firing)"\} 1/,
    );
  });

  it('notices an edit of the rules file (fs.watch, debounced) and reloads', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE);
    const d = await start({ options: { watchRuleFiles: true } });
    await writeRules(rulesFile, ROLLBACK_RULE + NOTIFY_RULE);
    for (let i = 0; i < 200; i++) {
      if ((await d.rules()).rules.some((r) => r.name === 'high_error_rate')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await d.rules()).rules.map((r) => r.name)).toContain('high_error_rate');
    expect(d.lines.some((l) => /rules loaded \(file change\)/.test(l.msg))).toBe(true);
  });

  it('POST /-/reload: loopback without a token; with CANARY_ADMIN_TOKEN only with the right bearer', async () => {
    await writeRules(rulesFile, NOTIFY_RULE);
    const open = await start();
    expect((await fetch(`${open.daemon.url}/-/reload`, { method: 'POST' })).status).toBe(200);
    await writeFile(
      rulesFile,
      'groups:\n  - name: canary\n    rules:\n      - alert: x\n        expr: up >\n',
      'utf8',
    );
    const refused = await fetch(`${open.daemon.url}/-/reload`, { method: 'POST' });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: string; errors: string[] };
    expect(body.error).toMatch(/previous rules keep running/);
    expect(body.errors[0]).toMatch(/rules\.yml:5:\d+: /);
    await writeRules(rulesFile, NOTIFY_RULE);
    const locked = await start({
      options: { adminToken: 'admin-token-123', dataDir: path.join(dir, 'data2') },
    });
    const post = (auth?: string) =>
      fetch(`${locked.daemon.url}/-/reload`, {
        method: 'POST',
        headers: auth ? { authorization: auth } : {},
      });
    expect((await post()).status).toBe(401);
    expect((await post('Bearer wrong')).status).toBe(401);
    expect((await post('Bearer admin-token-123')).status).toBe(200);
  });
});

describe('Prometheus down', () => {
  it('changes no alert state, sets health err, never rolls back, and raises CanaryPrometheusUnreachable', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE);
    const d = await start();
    d.prom.value('ai_error_ratio', 0.3);
    await d.step(1);
    const activeAt = (await d.rule('ai_service_failure')).instances[0]!.activeAt;
    d.prom.outage = DOWN;
    await d.step(8); // longer than for: 5s
    const r = await d.rule('ai_service_failure');
    expect(r).toMatchObject({ state: 'pending', health: 'err' });
    expect(r.lastError).toMatch(/refused the connection/);
    expect(r.instances[0]!.activeAt).toBe(activeAt);
    expect(d.flags.updates).toHaveLength(0);
    expect(await (await d.get('/healthz')).json()).toMatchObject({
      status: 'degraded',
      prometheus: 'err',
    });
    expect(
      d.lines.some(
        (l) =>
          l.level === LEVEL.error &&
          /Prometheus unreachable: 3 evaluations in a row failed/.test(l.msg),
      ),
    ).toBe(true);
    const unreachable = hook.requests.filter((q) =>
      JSON.stringify(q.body).includes('CanaryPrometheusUnreachable'),
    );
    expect(unreachable.map((q) => (q.body as { status: string }).status)).toEqual(['firing']);
    expect(await (await d.get('/metrics')).text()).toMatch(
      /canary_prometheus_errors_total\{kind="error"\} (\d+)/,
    );

    d.prom.outage = undefined;
    await d.step(1);
    expect(await (await d.get('/healthz')).json()).toMatchObject({ prometheus: 'ok' });
    expect((await d.rule('ai_service_failure')).health).toBe('ok');
    const statuses = hook.requests
      .filter((q) => JSON.stringify(q.body).includes('CanaryPrometheusUnreachable'))
      .map((q) => (q.body as { status: string }).status);
    expect(statuses).toEqual(['firing', 'resolved']);
  });
});

describe('Prometheus answering garbage', () => {
  it('is counted as garbage, keeps state and never acts', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE.replace('for: 5s', 'for: 0s'));
    const d = await start();
    d.prom.outage = {
      ok: false,
      kind: 'garbage',
      cause: 'garbage',
      error: 'http://x/api/v1/query answered HTTP 200 with a body that is not JSON',
    };
    d.prom.value('ai_error_ratio', 0.9);
    await d.step(2);
    expect(await d.rule('ai_service_failure')).toMatchObject({ state: 'inactive', health: 'err' });
    expect(d.flags.updates).toHaveLength(0);
    expect(await (await d.get('/metrics')).text()).toMatch(
      /canary_prometheus_errors_total\{kind="garbage"\} [1-9]/,
    );
  });
});

describe('HTTP', () => {
  it('/api/rules, /api/actions, /metrics and an escaped status page', async () => {
    await writeRules(rulesFile, ROLLBACK_RULE.replace('for: 5s', 'for: 0s'));
    const d = await start();
    d.prom.samples('ai_error_ratio', [
      { labels: { model: '<script>alert(1)</script>' }, value: 0.42 },
    ]);
    await d.step(2);
    const r = await d.rule('ai_service_failure');
    expect(r).toMatchObject({
      state: 'firing',
      health: 'ok',
      value: 0.42,
      threshold: { op: '>', value: 0.1 },
      action: 'immediate_rollback',
      flag: 'ai-search-enabled',
    });
    expect(r.instances[0]!.labels.model).toBe('<script>alert(1)</script>');
    const actions = (await (await d.get('/api/actions')).json()) as {
      actions: { outcome: string; reason: string }[];
    };
    expect(actions.actions[0]).toMatchObject({ outcome: 'success' });
    expect(actions.actions[0]!.reason).toMatch(/value 0.42 > 0.1/);
    expect((await d.get('/api/actions?limit=abc')).status).toBe(400);
    const page = await (await d.get('/')).text();
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&#60;script&#62;alert(1)');
    expect(page).toContain('http-equiv="refresh"');
    expect(page).toMatch(/ai_service_failure[\s\S]*firing[\s\S]*0\.42[\s\S]*&#62; 0\.1/);
    const metrics = await (await d.get('/metrics')).text();
    expect(metrics).toContain('canary_rule_state{rule="ai_service_failure",state="firing"} 1');
    expect(metrics).toContain('canary_alerts{rule="ai_service_failure",state="firing"} 1');
    expect(metrics).toContain(
      'canary_actions_total{action="immediate_rollback",outcome="success"} 1',
    );
    expect(metrics).toMatch(/canary_last_successful_evaluation_timestamp_seconds \d+/);
  });

  it('warns loudly when Prometheus lacks the recorded series the alerts use', async () => {
    await writeRules(
      rulesFile,
      ROLLBACK_RULE.replace('ai_error_ratio > 0.1', 'ai_search:ai_error_ratio:rate5m > 0.1'),
    );
    const prom = new ScriptedPrometheus();
    prom.missing = ['ai_search:ai_error_ratio:rate5m'];
    const d = await start({ prom });
    expect(
      d.lines.some(
        (l) =>
          l.level === LEVEL.warn &&
          /no data for recorded series the alerts use: ai_search:ai_error_ratio:rate5m/.test(l.msg),
      ),
    ).toBe(true);
    expect(
      ((await d.rules()) as unknown as { recordedSeries: { missing: string[] } }).recordedSeries
        .missing,
    ).toEqual(['ai_search:ai_error_ratio:rate5m']);
    expect(await (await d.get('/metrics')).text()).toContain('canary_missing_recorded_series 1');
    expect(await (await d.get('/healthz')).json()).toMatchObject({ status: 'degraded' });
    // Prometheus records it a little later (both just started): the daemon looks again each minute.
    prom.missing = [];
    await d.step(61);
    expect(await (await d.get('/metrics')).text()).toContain('canary_missing_recorded_series 0');
    expect(await (await d.get('/healthz')).json()).toMatchObject({ status: 'ok' });
    expect(d.lines.some((l) => /now has every recorded series/.test(l.msg))).toBe(true);
  });

  it('is not degraded by an expected absence (a recording rule Prometheus runs, no data yet)', async () => {
    await writeRules(
      rulesFile,
      ROLLBACK_RULE.replace('ai_error_ratio > 0.1', 'ai_search:cost_baseline_usd:1h > 0.1'),
    );
    const prom = new ScriptedPrometheus();
    prom.awaitingData = ['ai_search:cost_baseline_usd:1h'];
    const d = await start({ prom });
    expect(await (await d.get('/healthz')).json()).toMatchObject({
      status: 'ok',
      missingRecordedSeries: [],
      awaitingRecordedSeries: ['ai_search:cost_baseline_usd:1h'],
    });
    expect(await (await d.get('/metrics')).text()).toContain('canary_missing_recorded_series 0');
    expect(await (await d.get('/')).text()).toMatch(/No data yet, as expected[^<]*cost_baseline/);
    // The same series with its rules not loaded in Prometheus is a fault.
    prom.awaitingData = [];
    prom.missing = ['ai_search:cost_baseline_usd:1h'];
    await d.step(61);
    expect(await (await d.get('/healthz')).json()).toMatchObject({ status: 'degraded' });
  });
});
