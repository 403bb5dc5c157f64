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
import type { QueryOutcome } from '../../src/canary/prometheus/prometheus-client.js';

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
  rule('slow_alert', 'heavy_expression > 1', 'notify_dev_team') +
  rule('api_errors', 'api_error_ratio > 0.05', 'notify_dev_team');

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
  d.prom.value('api_error_ratio', 0);
});
afterEach(async () => {
  await d.daemon.close();
  await rm(dir, { recursive: true, force: true });
});

/** The queryMany calls of the next evaluation: expressions asked alone, and the batch. */
async function step() {
  const since = d.prom.rounds.length;
  await d.step(1);
  const calls = d.prom.rounds.slice(since);
  const batch = calls.filter((c) => c.exprs.length > 1);
  return {
    alone: calls
      .filter((c) => c.exprs.length === 1)
      .map((c) => c.exprs[0]!)
      .sort(),
    batch: batch.flatMap((c) => c.exprs),
    budgets: calls.map((c) => c.budgetMs),
  };
}

const health = async () =>
  (await (await d.get('/healthz')).json()) as {
    status: string;
    prometheus: string;
    ruleEvaluation: string;
    failingRules: { rule: string; consecutiveFailures: number; lastError: string }[];
  };

describe('one round of queries per interval', () => {
  it('asks each expression once: shared guard once, no second query for the value shown', async () => {
    const { alone, batch, budgets } = await step();
    expect([...alone, ...batch].sort()).toEqual(
      [GUARD, 'ai_error_ratio', 'api_error_ratio', 'heavy_expression'].sort(),
    );
    // The rule that rolls back shares no request with anything else.
    expect(alone).toEqual([GUARD, 'ai_error_ratio'].sort());
    // A time budget of most of the 1 s interval bounds the round.
    expect(new Set(budgets)).toEqual(new Set([800]));
    // 7% is under one threshold and over the other; both show the value they compare.
    expect(await d.rule('ai_service_failure')).toMatchObject({ state: 'inactive', value: 0.07 });
    expect(await d.rule('ai_error_rate_above_target')).toMatchObject({
      state: 'pending',
      value: 0.07,
    });
    expect(await d.rule('slow_alert')).toMatchObject({ state: 'inactive', value: 0 });
  });

  it('turns the order of the requests with the slot, so a round cut short never leaves out the same rules', async () => {
    const places = [];
    for (let n = 0; n < 4; n++) places.push((await step()).batch.indexOf('heavy_expression'));
    expect(new Set(places).size).toBeGreaterThan(1);
  });
});

describe('a slow rule', () => {
  it('delays nothing that rolls back: the rollback rule is settled while the slow batch is out', async () => {
    d.prom.value('ai_error_ratio', 0.3);
    const release = d.prom.hold('heavy_expression');
    try {
      await d.step(1);
      // The group's evaluation is still waiting for the slow batch; the rollback rule is not.
      expect(await d.rule('ai_service_failure')).toMatchObject({ state: 'pending', value: 0.3 });
      expect(await d.rule('slow_alert')).toMatchObject({ health: 'unknown' });
    } finally {
      release();
    }
  });

  it('is in error by itself, goes alone until it answers, and a stuck one degrades /healthz', async () => {
    d.prom.outcome('heavy_expression', TIMEOUT);
    expect((await step()).batch).toContain('heavy_expression');
    expect(await d.rule('slow_alert')).toMatchObject({ health: 'err' });
    expect(await d.rule('ai_error_rate_above_target')).toMatchObject({
      health: 'ok',
      state: 'pending',
    });
    expect((await health()).status).toBe('ok'); // one failure is not yet "stuck"
    expect((await step()).alone).toContain('heavy_expression');
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
    expect((await step()).alone).not.toContain('heavy_expression');
  });

  it('is not isolated when every query times out: that is Prometheus, not one rule', async () => {
    d.prom.outage = TIMEOUT;
    await step();
    expect((await step()).alone).toEqual([GUARD, 'ai_error_ratio'].sort());
  });
});
