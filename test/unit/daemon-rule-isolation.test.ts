// No rule blinds another, and no expression is asked twice: the daemon in-process on a FakeClock
// with a scripted Prometheus. Rollback rules go alone; a rule whose query times out while the
// others answer is in error by itself, is queried alone until it answers, and once stuck makes
// /healthz degraded and sets canary_rule_consecutive_failures; a guard two rules share is
// queried once, and the value shown comes from the same answer as the verdict.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestDaemon, writeRules, type TestDaemon } from '../fakes/daemon-harness.js';
import type { QueryOutcome } from '../../src/canary/prometheus-client.js';

const GUARD = 'sum(rate(calls_total[5m])) >= 20 / 300';
const rule = (name: string, expr: string, action: string, extra = '') => `
      - alert: ${name}
        expr: ${expr}
        for: 2s
        labels:
          severity: critical
          action: ${action}${extra}
`;
const RULES =
  rule(
    'ai_service_failure',
    `ai_error_ratio > 0.1 and on() ${GUARD}`,
    'immediate_rollback',
    '\n          flag: ai-search-enabled',
  ) +
  rule('ai_error_rate_above_target', `ai_error_ratio > 0.05 and on() ${GUARD}`, 'notify_dev_team') +
  rule('slow_alert', 'heavy_expression > 1', 'notify_dev_team');

const TIMEOUT: QueryOutcome = {
  ok: false,
  kind: 'error',
  cause: 'timeout',
  error: 'http://scripted-prometheus/api/v1/query did not answer within 800 ms',
};

let dir: string;
let d: TestDaemon;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-isolation-'));
  const file = path.join(dir, 'rules.yml');
  await writeRules(file, RULES);
  d = await startTestDaemon({ dir, ruleFiles: [file], options: { failureThreshold: 3 } });
  d.prom.value('ai_error_ratio', 0.07);
  d.prom.value(GUARD, 1);
  d.prom.value('heavy_expression', 0);
});
afterEach(async () => {
  await d.daemon.close();
  await rm(dir, { recursive: true, force: true });
});

const health = async () =>
  (await (await d.get('/healthz')).json()) as {
    status: string;
    prometheus: string;
    ruleEvaluation: string;
    failingRules: { rule: string; consecutiveFailures: number; lastError: string }[];
  };

describe('one round of queries per interval', () => {
  it('asks each expression once: shared guard once, no second query for the value shown', async () => {
    await d.step(1);
    const [round] = d.prom.rounds.slice(-1);
    expect([...round!.exprs].sort()).toEqual([GUARD, 'ai_error_ratio', 'heavy_expression'].sort());
    // The rule that rolls back shares no request with anything else.
    expect(round!.alone.sort()).toEqual([GUARD, 'ai_error_ratio'].sort());
    // A time budget of most of the 1 s interval bounds the round.
    expect(round!.budgetMs).toBe(800);
    // 7% is under one threshold and over the other; both show the value they compare.
    expect(await d.rule('ai_service_failure')).toMatchObject({ state: 'inactive', value: 0.07 });
    expect(await d.rule('ai_error_rate_above_target')).toMatchObject({
      state: 'pending',
      value: 0.07,
    });
    expect(await d.rule('slow_alert')).toMatchObject({ state: 'inactive', value: 0 });
  });

  it('turns the order of the requests with the slot, so a round cut short never leaves out the same rules', async () => {
    await d.step(3);
    const places = d.prom.rounds.slice(-3).map((r) => r.exprs.indexOf('heavy_expression'));
    expect(new Set(places).size).toBeGreaterThan(1);
  });
});

describe('a slow rule', () => {
  it('is in error by itself, goes alone until it answers, and a stuck one degrades /healthz', async () => {
    d.prom.outcome('heavy_expression', TIMEOUT);
    await d.step(1);
    expect(await d.rule('slow_alert')).toMatchObject({ health: 'err' });
    expect(await d.rule('ai_error_rate_above_target')).toMatchObject({
      health: 'ok',
      state: 'pending',
    });
    expect((await health()).status).toBe('ok'); // one failure is not yet "stuck"
    await d.step(1);
    expect(d.prom.rounds.at(-1)!.alone).toContain('heavy_expression');
    await d.step(1);
    const h = await health();
    expect(h).toMatchObject({ status: 'degraded', prometheus: 'ok', ruleEvaluation: 'failing' });
    expect(h.failingRules).toEqual([
      expect.objectContaining({ rule: 'slow_alert', consecutiveFailures: 3 }),
    ]);
    expect(h.failingRules[0]!.lastError).toMatch(/did not answer/);
    expect(await (await d.get('/')).text()).toContain(
      'Rule slow_alert cannot be evaluated (3 failures in a row): it cannot fire.',
    );
    const metrics = await (await d.get('/metrics')).text();
    expect(metrics).toContain('canary_rule_consecutive_failures{rule="slow_alert"} 3');
    expect(metrics).toContain('canary_rule_consecutive_failures{rule="ai_service_failure"} 0');
    // The other rules kept going: the notify rule fired after its `for`.
    expect(await d.rule('ai_error_rate_above_target')).toMatchObject({ state: 'firing' });

    // It answers again: healthy, and back in the shared batch.
    d.prom.value('heavy_expression', 0);
    await d.step(1);
    expect(await health()).toMatchObject({ status: 'ok', ruleEvaluation: 'ok', failingRules: [] });
    await d.step(1);
    expect(d.prom.rounds.at(-1)!.alone).not.toContain('heavy_expression');
  });

  it('is not isolated when every query times out: that is Prometheus, not one rule', async () => {
    d.prom.outage = TIMEOUT;
    await d.step(2);
    expect(d.prom.rounds.at(-1)!.alone.sort()).toEqual([GUARD, 'ai_error_ratio'].sort());
  });
});
