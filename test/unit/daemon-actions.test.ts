// Actions after evaluation: a rollback runs once per alert instance, is verified, is retried until
// it holds, is never undone; a dry run does nothing; notifications fire, resend and resolve.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionRunner } from '../../src/canary/actions/action-runner.js';
import type { Action } from '../../src/canary/actions/action.js';
import { createImmediateRollback } from '../../src/canary/actions/immediate-rollback.js';
import { createNotify } from '../../src/canary/actions/notify.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { DaemonMetrics } from '../../src/canary/metrics.js';
import { StateStore } from '../../src/canary/engine/state-store.js';
import type { ActionName, AlertingRule, RuleState } from '../../src/canary/types.js';
import { FakeClock } from '../../src/shared/clock.js';
import { collectingLogger } from '../fakes/collecting-logger.js';
import { FakeFlagStore } from '../fakes/fake-flag-store.js';
import { startRecordingWebhook, type RecordingWebhook } from '../fakes/recording-webhook.js';
import { alertRule } from '../fakes/rule-fixtures.js';

let dir: string;
let hook: RecordingWebhook;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-actions-'));
  hook = await startRecordingWebhook();
});
afterEach(async () => {
  await hook.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(opts: { dryRun?: boolean; flags?: FakeFlagStore; dataDir?: string } = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const { logger, lines } = collectingLogger();
  const metrics = new DaemonMetrics({ defaultMetrics: false });
  const flags = opts.flags ?? new FakeFlagStore();
  const store = await StateStore.open({ dataDir: opts.dataDir ?? dir, clock, logger });
  const notifyOpts = {
    alertmanagerUrl: undefined,
    webhooks: { dev_team: `${hook.url}/dev` },
    timeoutMs: 2000,
    resendDelayMs: 60_000,
    generatorUrl: 'http://daemon/',
  };
  const actions = new Map<ActionName, Action>([
    [
      'immediate_rollback',
      createImmediateRollback({
        flags,
        clock,
        logger,
        initialBackoffMs: 1000,
        maxBackoffMs: 4000,
        metrics,
      }),
    ],
    ['notify_dev_team', createNotify('notify_dev_team', notifyOpts)],
  ]);
  const runner = new ActionRunner({
    actions,
    store,
    clock,
    logger,
    metrics,
    dryRun: opts.dryRun ?? false,
    resendDelayMs: 60_000,
  });
  let state: RuleState | undefined;
  /** One evaluation of `rule` at the clock's time with the given value (undefined = no data). */
  const evaluate = async (rule: AlertingRule, value: number | undefined) => {
    const samples = value === undefined ? [] : [{ labels: { model: 'm1' }, value }];
    const out = evaluateRule(rule, { ok: true, samples }, clock.now(), state);
    state = out.state;
    runner.afterEvaluation(`id-${rule.name}`, 'g', rule, out, clock.now());
    await runner.idle();
    return out;
  };
  return { clock, lines, metrics, flags, store, runner, evaluate };
}

const rollbackRule = alertRule('ai_service_failure', { action: 'immediate_rollback', forMs: 0 });

describe('immediate_rollback', () => {
  it('turns the flag off once per alert instance, verified, with an audit context naming the why', async () => {
    const s = await setup();
    for (let i = 0; i < 5; i++) {
      await s.evaluate(rollbackRule, 0.3);
      await s.clock.advance(1000);
    }
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
    expect(s.flags.updates).toHaveLength(1);
    const { change, meta } = s.flags.updates[0]!;
    expect(change).toEqual({ flag: 'ai-search-enabled', value: false });
    expect(meta.actor).toBe('canary-daemon');
    expect(meta.context).toMatchObject({
      rule: 'ai_service_failure',
      expr: 'ai_service_failure_ratio > 0.1',
      value: 0.3,
      threshold: '> 0.1',
      for: '0s',
    });
    const [record] = s.store.actions.latest();
    expect(record).toMatchObject({
      action: 'immediate_rollback',
      outcome: 'success',
      rule: 'ai_service_failure',
      value: 0.3,
      threshold: '> 0.1',
    });
    expect(record!.detail).toMatch(/turned off, verified/);
    expect(
      s.lines.some((l) =>
        /action immediate_rollback \(firing\) success.*because ai_service_failure: value 0.3 > 0.1/.test(
          l.msg,
        ),
      ),
    ).toBe(true);
  });

  it('finding the flag already off (another daemon won) records skipped "already off", marks it done, writes no audit row', async () => {
    const flags = new FakeFlagStore();
    flags.flags.set('ai-search-enabled', {
      ...flags.flags.get('ai-search-enabled')!,
      enabled: false,
    });
    const s = await setup({ flags });
    for (let i = 0; i < 3; i++) {
      await s.evaluate(rollbackRule, 0.3);
      await s.clock.advance(1000);
    }
    expect(flags.audit).toHaveLength(0);
    expect(flags.updates).toHaveLength(1); // done after the first: not retried, not repeated
    const rollbacks = s.store.actions.latest().filter((r) => r.action === 'immediate_rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ outcome: 'skipped' });
    expect(rollbacks[0]!.detail).toMatch(/^already off: .*nothing written, no audit row/);
    expect(await s.metrics.registry.getSingleMetricAsString('canary_actions_total')).toMatch(
      /action="immediate_rollback",outcome="skipped"\} 1/,
    );
  });

  it('a new alert instance (new activeAt) after the old one resolved rolls back again, after a person re-enabled the flag', async () => {
    const s = await setup();
    await s.evaluate(rollbackRule, 0.3);
    await s.clock.advance(1000);
    await s.evaluate(rollbackRule, undefined); // resolved
    s.flags.flags.set('ai-search-enabled', {
      ...s.flags.flags.get('ai-search-enabled')!,
      enabled: true,
    }); // a person resumes
    await s.clock.advance(1000);
    await s.evaluate(rollbackRule, 0.4);
    expect(s.flags.updates).toHaveLength(2);
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
  });

  it('is never undone: resolving leaves the flag off and writes nothing', async () => {
    const s = await setup();
    await s.evaluate(rollbackRule, 0.3);
    for (let i = 0; i < 3; i++) {
      await s.clock.advance(1000);
      await s.evaluate(rollbackRule, 0.0);
    }
    expect(s.flags.updates).toHaveLength(1);
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
  });

  it('retries with backoff until the write holds (refused writes, then a write that does not stick)', async () => {
    const flags = new FakeFlagStore();
    flags.failWrites = 2;
    flags.dropWrites = 1;
    const s = await setup({ flags });
    const out = evaluateRule(
      rollbackRule,
      { ok: true, samples: [{ labels: {}, value: 0.5 }] },
      s.clock.now(),
      undefined,
    );
    s.runner.afterEvaluation('id', 'g', rollbackRule, out, s.clock.now());
    const gauge = async () =>
      (await s.metrics.rollbacksInProgress.get()).values.find(
        (v) => v.labels.flag === 'ai-search-enabled',
      )?.value;
    // While it retries, the stuck rollback is visible on /metrics, not only in the logs.
    for (let i = 0; i < 200 && s.flags.updates.length < 1; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await gauge()).toBe(1);
    // Real I/O (the state file) happens between attempts: let real time pass while the clock steps.
    for (let i = 0; i < 200 && s.flags.flags.get('ai-search-enabled')?.enabled !== false; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await s.clock.advance(1000);
    }
    await s.runner.idle();
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
    expect(s.flags.updates).toHaveLength(4);
    expect(s.store.actions.latest()[0]).toMatchObject({ outcome: 'success', attempts: 4 });
    expect(s.lines.filter((l) => /did not hold yet/.test(l.msg))).toHaveLength(3);
    expect(s.lines.some((l) => /locked by another writer/.test(l.msg))).toBe(true);
    expect(s.lines.some((l) => /still enabled/.test(l.msg))).toBe(true);
    expect(
      await s.metrics.registry.getSingleMetricAsString('canary_rollback_failed_attempts_total'),
    ).toContain('canary_rollback_failed_attempts_total{flag="ai-search-enabled"} 3');
    expect(await gauge()).toBe(0);
  });
});

describe('--dry-run', () => {
  it('records what it would do and touches neither the flag nor any webhook', async () => {
    const s = await setup({ dryRun: true });
    await s.evaluate(rollbackRule, 0.3);
    await s.clock.advance(1000);
    await s.evaluate(rollbackRule, 0.3);
    const notify = alertRule('high_error_rate', { action: 'notify_dev_team', forMs: 0 });
    await s.evaluate(notify, 0.3);
    expect(s.flags.updates).toHaveLength(0);
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(true);
    expect(hook.requests).toHaveLength(0);
    const records = s.store.actions.latest();
    // The rollback rule's dev-team notification and the notify rule's are both only recorded.
    expect(records.map((r) => [r.action, r.outcome]).sort()).toEqual([
      ['immediate_rollback', 'dry_run'],
      ['notify_dev_team', 'dry_run'],
      ['notify_dev_team', 'dry_run'],
    ]);
    const rollback = records.find((r) => r.action === 'immediate_rollback');
    expect(rollback!.detail).toBe('dry run: would turn flag ai-search-enabled off');
    const counted = await s.metrics.registry.getSingleMetricAsString('canary_actions_total');
    expect(counted).toContain(
      'canary_actions_total{action="immediate_rollback",outcome="dry_run"} 1',
    );
    expect(counted).toContain('canary_actions_total{action="notify_dev_team",outcome="dry_run"} 2');
  });
});

describe('a rollback tells the dev team', () => {
  it('notifies the alert behind a rollback as firing, then resolved, beside turning the flag off', async () => {
    const s = await setup();
    await s.evaluate(rollbackRule, 0.3);
    await s.clock.advance(1000);
    await s.evaluate(rollbackRule, undefined); // AI traffic stopped: the ratio has no data
    expect(s.flags.flags.get('ai-search-enabled')?.enabled).toBe(false);
    const sent = hook.requests.map((r) => {
      const body = r.body as { status: string; alerts: { labels: Record<string, string> }[] };
      return [r.path, body.status, body.alerts[0]!.labels.alertname];
    });
    expect(sent).toEqual([
      ['/dev', 'firing', 'ai_service_failure'],
      ['/dev', 'resolved', 'ai_service_failure'],
    ]);
  });
});

describe('notify to Alertmanager', () => {
  it("posts exactly the rule's labels plus Prometheus's external labels: no label of its own (a default team would keep Alertmanager from merging it with Prometheus's copy)", async () => {
    const noTeam = alertRule('high_error_rate', { action: 'notify_dev_team', forMs: 0 });
    const out = evaluateRule(
      noTeam,
      { ok: true, samples: [{ labels: { model: 'm1' }, value: 0.2 }] },
      1000,
      undefined,
    );
    const instance = [...out.state.instances.values()][0]!;
    const action = createNotify('notify_dev_team', {
      alertmanagerUrl: hook.url,
      webhooks: {},
      timeoutMs: 2000,
      resendDelayMs: 60_000,
      generatorUrl: 'http://daemon/',
      externalLabels: { get: () => Promise.resolve({ app: 'ai-search' }) },
    });
    const r = await action.perform({
      event: 'firing',
      rule: noTeam,
      group: 'g',
      instance,
      at: 1000,
      signal: new AbortController().signal,
    });
    expect(r.outcome).toBe('success');
    expect(hook.requests[0]!.path).toBe('/api/v2/alerts');
    const [posted] = hook.requests[0]!.body as { labels: Record<string, string> }[];
    expect(posted!.labels).toEqual({ ...instance.labels, app: 'ai-search' });
    expect(posted!.labels).not.toHaveProperty('team');
  });
});

describe('notify_dev_team to a webhook', () => {
  const rule = alertRule('high_error_rate', { action: 'notify_dev_team', forMs: 0 });

  it('sends firing once, resends after the resend delay, and a resolved notice at the end', async () => {
    const s = await setup();
    await s.evaluate(rule, 0.2);
    await s.clock.advance(30_000);
    await s.evaluate(rule, 0.2); // within resend delay: nothing
    await s.clock.advance(30_000);
    await s.evaluate(rule, 0.2); // resend
    await s.clock.advance(15_000);
    await s.evaluate(rule, undefined); // resolved
    const statuses = hook.requests.map((r) => (r.body as { status: string }).status);
    expect(statuses).toEqual(['firing', 'firing', 'resolved']);
    expect(hook.requests[0]!.path).toBe('/dev');
    const first = hook.requests[0]!.body as {
      alerts: { labels: Record<string, string>; startsAt: string; endsAt: string }[];
    };
    expect(first.alerts[0]!.labels).toMatchObject({ alertname: 'high_error_rate', model: 'm1' });
    const last = hook.requests[2]!.body as { alerts: { endsAt: string }[] };
    expect(last.alerts[0]!.endsAt).toBe(new Date(s.clock.now()).toISOString());
    // Firing and resolved are recorded; a successful resend only counts.
    expect(s.store.actions.latest().map((r) => r.event)).toEqual(['resolved', 'firing']);
  });

  it('a failed delivery is recorded as a failure and retried on the next evaluation', async () => {
    const s = await setup();
    hook.status = 500;
    await s.evaluate(rule, 0.2);
    hook.status = 200;
    await s.clock.advance(1000);
    await s.evaluate(rule, 0.2);
    expect(hook.requests).toHaveLength(2);
    expect(s.store.actions.latest().map((r) => r.outcome)).toEqual(['success', 'failure']);
    expect(s.store.actions.latest()[1]!.detail).toMatch(/answered HTTP 500/);
  });

  it('without a destination the action is skipped with a message saying what to configure', async () => {
    const s = await setup();
    const product = alertRule('cost_spike', {
      action: 'notify_product_team' as ActionName,
      forMs: 0,
    });
    const action = createNotify('notify_product_team', {
      alertmanagerUrl: undefined,
      webhooks: {},
      timeoutMs: 1000,
      resendDelayMs: 1000,
      generatorUrl: 'x',
    });
    const out = evaluateRule(
      product,
      { ok: true, samples: [{ labels: {}, value: 2 }] },
      s.clock.now(),
      undefined,
    );
    const r = await action.perform({
      event: 'firing',
      rule: product,
      group: 'g',
      instance: [...out.state.instances.values()][0]!,
      at: s.clock.now(),
      signal: new AbortController().signal,
    });
    expect(r.outcome).toBe('skipped');
    expect(r.detail).toMatch(
      /set ALERTMANAGER_URL, --webhook product_team=URL or CANARY_WEBHOOK_PRODUCT_TEAM/,
    );
  });
});
