// The claim the project lives by, end to end: AI failures above 10% turn AI search off by
// themselves, fast, exactly once, and nothing else does. Real processes throughout: the search
// service and the canary daemon (`bin/canary.js`), a real Prometheus loading rules/*.yml scaled by
// fast mode (5m → 5s), the LLM simulator injecting the failures, and steady traffic from users of
// every segment with the flag at 100% for all of them. One stack, three phases in order:
// healthy → 7% → 30%.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonActions, daemonMetric, watchRuleState } from './support/daemon-api.js';
import {
  AI_FLAG,
  AI_GUARD_EXPR,
  INTERVAL_MS,
  ROLLBACK_FOR_MS,
  startE2eStack,
  stackOutput,
  waitForAiTraffic,
  type E2eStack,
} from './support/e2e-stack.js';
import { failEvenly, type EvenFailures } from './support/even-failures.js';
import { alertStateAt } from './support/prometheus-timeline.js';
import {
  daemonRollbacks,
  rollbacksSettled,
  searchesAfterRollback,
  waitForRollback,
} from './support/rollback-watch.js';
import { usersOfEverySegment } from './support/segment-users.js';
import { sentBetween, startSteadyTraffic, type SteadyTraffic } from './support/steady-traffic.js';
import { eventually } from '../harness/index.js';

/** Searches per second: a few hundred LLM calls per 5 s window, far above the traffic guard. */
const SEARCHES_PER_SECOND = 40;

let stack: E2eStack;
let traffic: SteadyTraffic;
let failures: EvenFailures | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startE2eStack({ seed: 11 });
  traffic = startSteadyTraffic({
    serviceUrl: stack.serviceUrl,
    users: usersOfEverySegment(20),
    perSecond: SEARCHES_PER_SECOND,
  });
  await waitForAiTraffic(stack);
});

afterAll(async () => {
  failures?.stop();
  await traffic?.stop();
  await stack?.stop();
});

function devNotices(alertname: string): { status: string; startsAt: string }[] {
  return stack.webhook.requests
    .filter((r) => r.path === '/dev')
    .flatMap(
      (r) =>
        (
          r.body as {
            alerts: { status: string; startsAt: string; labels: Record<string, string> }[];
          }
        ).alerts,
    )
    .filter((a) => a.labels.alertname === alertname);
}

describe('AI errors and the rollback, end to end', () => {
  it('serves AI search and rolls nothing back while AI errors stay at 0–3% for several `for` windows', async () => {
    const since = Date.now();
    const watch = watchRuleState(() => stack.daemon.url, 'ai_service_failure');
    try {
      stack.setAiErrorRate(0);
      await sleep(ROLLBACK_FOR_MS);
      stack.setAiErrorRate(0.03);
      await sleep(3 * ROLLBACK_FOR_MS);
    } finally {
      watch.stop();
    }
    expect([...watch.seen], stackOutput(stack)).toEqual(['inactive']);
    expect((await stack.flags.getRollout(AI_FLAG))?.enabled).toBe(true);
    expect(await daemonRollbacks(stack)).toEqual([]);
    expect(
      (await daemonActions(stack.daemon.url)).filter((a) => a.action === 'immediate_rollback'),
    ).toEqual([]);
    // The phase was judged on real figures: the guard held and every segment got AI answers.
    expect(await stack.prom.query(AI_GUARD_EXPR)).toHaveLength(1);
    const served = sentBetween(traffic.records, since);
    expect(served.length).toBeGreaterThan(SEARCHES_PER_SECOND * 10);
    expect(served.every((r) => r.status === 200 && r.mode === 'ai')).toBe(true);
    expect(new Set(served.map((r) => r.segment))).toEqual(
      new Set(['internal-users', 'beta-users', 'public']),
    );
  });

  it('notifies the dev team at 7% AI errors (ai_error_rate_above_target) and rolls nothing back', async () => {
    const since = Date.now();
    stack.setAiErrorRate(0);
    failures = failEvenly(stack.sim, 0.07);
    const notice = await eventually(
      () => devNotices('ai_error_rate_above_target').find((a) => a.status === 'firing'),
      { what: 'the dev-team webhook to receive ai_error_rate_above_target', timeoutMs: 60_000 },
    );
    expect(Date.parse(notice.startsAt)).toBeGreaterThanOrEqual(since);
    // Prometheus, loading the same rules, agrees that the alert fires.
    await eventually(
      () => alertStateAt(stack.prom, 'ai_error_rate_above_target', 'firing', since),
      {
        what: 'Prometheus to fire ai_error_rate_above_target too',
        timeoutMs: 30_000,
      },
    );
    await sleep(ROLLBACK_FOR_MS);
    failures.stop();
    expect((await stack.flags.getRollout(AI_FLAG))?.enabled, stackOutput(stack)).toBe(true);
    expect(await daemonRollbacks(stack)).toEqual([]);
    expect(devNotices('ai_service_failure')).toEqual([]);
    // What Prometheus recorded is the scenario: around 7%, above 5% and below 10% on average.
    // The plain ratio over fast mode's 5 s window (a few hundred calls, rate() extrapolating
    // over scrapes that a loaded machine delays) can touch 10% for a moment; riding out exactly
    // that noise without a rollback is what the rule's score bound is for (docs/rules.md).
    const phase = `${Math.floor((Date.now() - since) / 1000) - 6}s`;
    const [avg] = await stack.prom.query(
      `avg_over_time(ai_search:ai_error_ratio:rate5m[${phase}])`,
    );
    expect(avg!.value).toBeGreaterThan(0.05);
    expect(avg!.value).toBeLessThan(0.1);
  });

  it('turns the flag off at 30% AI errors within the bound, once, with an audit record that says why', async () => {
    const injectedAt = Date.now();
    stack.setAiErrorRate(0.3);
    const rollback = await waitForRollback(stack, injectedAt);

    // Why: the audit entry names the rule, its expression, the value, threshold, for and activeAt.
    const why = rollback.entry.context!;
    expect(why.rule).toBe('ai_service_failure');
    expect(String(why.expr)).toContain('ai_search:ai_error_ratio:rate5m > 0.1');
    expect(why.value as number).toBeGreaterThan(0.1);
    expect(why.threshold).toBe('> 0.1');
    expect(why.for).toBe(`${ROLLBACK_FOR_MS / 1000}s`);
    expect(rollback.activeAt).toBeGreaterThanOrEqual(injectedAt);
    expect(rollback.entry.reason).toMatch(/^immediate_rollback by ai_service_failure/);
    expect(rollback.entry.before?.enabled).toBe(true);

    // Within the bound: the condition held for `for`, then at most one daemon interval + 1 s.
    const heldFor = rollback.activeAt + ROLLBACK_FOR_MS;
    expect(rollback.offAt).toBeGreaterThanOrEqual(heldFor);
    expect(rollback.offAt - heldFor).toBeLessThanOrEqual(INTERVAL_MS + 1000);
    // And no later than Prometheus's own firing of the same alert plus one second.
    const promFiring = await eventually(
      () => alertStateAt(stack.prom, 'ai_service_failure', 'firing', injectedAt),
      { what: 'Prometheus to fire ai_service_failure' },
    );
    expect(rollback.offAt - promFiring).toBeLessThanOrEqual(1000);

    // Every new search is served in keyword mode within one second of the flag going off.
    const { after, notKeyword } = await searchesAfterRollback(traffic, rollback.offAt);
    expect(after.length).toBeGreaterThan(SEARCHES_PER_SECOND);
    expect(notKeyword).toEqual([]);
    expect(new Set(after.map((r) => r.segment)).size).toBe(3);

    // Once: a few more evaluations, and still one rollback in the audit log, the daemon's
    // action log and its metrics.
    const settled = await rollbacksSettled(stack, INTERVAL_MS);
    expect(settled.audit).toHaveLength(1);
    expect(settled.actions.map((a) => [a.outcome, a.rule, a.threshold])).toEqual([
      ['success', 'ai_service_failure', '> 0.1'],
    ]);
    expect(
      await daemonMetric(stack.daemon.url, 'canary_actions_total', {
        action: 'immediate_rollback',
        outcome: 'success',
      }),
    ).toBe(1);
  });
});
