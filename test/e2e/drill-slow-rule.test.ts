// Drill: one slow rule must not blind the rollback. The daemon loads the fast-mode rule file with a
// deliberately heavy alert added to the `ai_search_alerts` group, beside ai_service_failure: a
// subquery of 3.6 million steps, seconds of Prometheus CPU. The daemon's `--query-timeout 500ms`
// gives up on it first, so the test is deterministic; Prometheus then abandons the query (its
// context is cancelled when the connection closes), and its own `--query.timeout=2s` is only a
// safety net. The inner `vector(time())` is not step-invariant, so Prometheus checks for
// cancellation at every step; `vector(1)` would be evaluated once and copied 3.6 million times,
// deaf to timeouts, and pile up in Prometheus. Prometheus loads the file without the slow rule, so
// it never evaluates it itself. Real service, daemon, Prometheus and simulator. 30% provider
// errors must then roll back within the time-to-rollback bound (docs/ttr.md), while the slow
// rule is in error alone and says so: /healthz degraded naming it,
// canary_rule_consecutive_failures, and CanaryRuleEvaluationFailing firing in Prometheus.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { daemonHealth, daemonMetric, daemonRule } from './support/daemon-api.js';
import { INTERVAL_MS, ROLLBACK_FOR_MS, stackOutput } from './support/e2e-stack.js';
import { alertStateAt } from './support/prometheus-timeline.js';
import { waitForRollback } from './support/rollback-watch.js';
import { useStackWithTraffic } from './support/stack-with-traffic.js';
import { eventually } from '../harness/index.js';

const SLOW = 'slow_subquery_alert';
const SLOW_RULE = {
  alert: SLOW,
  expr: 'sum_over_time(vector(time())[1h:1ms]) < 0',
  for: '1s',
  labels: { severity: 'warning', team: 'dev', action: 'notify_dev_team' },
  annotations: { summary: 'a rule too heavy for its interval', runbook_url: 'docs/runbook.md' },
};

type RuleFile = { groups: { name: string; rules: Record<string, unknown>[] }[] };

/** The same rule files for the daemon, with the slow rule in ai_service_failure's group. */
function withSlowRule(files: readonly string[], dir: string): string[] {
  const out = path.join(dir, 'daemon-rules');
  mkdirSync(out, { recursive: true });
  return files.map((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as RuleFile;
    const group = doc.groups.find((g) => g.rules.some((r) => r.alert === 'ai_service_failure'));
    group?.rules.push(SLOW_RULE);
    const target = path.join(out, path.basename(file));
    writeFileSync(target, stringify(doc));
    return target;
  });
}

const running = useStackWithTraffic(
  {
    seed: 31,
    daemonRules: withSlowRule,
    daemonArgs: ['--query-timeout', '500ms'],
    prometheusArgs: ['--query.timeout=2s'],
  },
  40,
);

describe('a slow rule in the rollback group', () => {
  it('is in error by itself, degrades /healthz and fires CanaryRuleEvaluationFailing', async () => {
    const { stack } = running();
    const url = () => stack.daemon.url;
    const health = await eventually(
      async () => {
        const h = await daemonHealth(url());
        return h.failingRules.length > 0 ? h : undefined;
      },
      { what: '/healthz to name the failing rule', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(health, stackOutput(stack)).toMatchObject({
      status: 'degraded',
      prometheus: 'ok',
      ruleEvaluation: 'failing',
    });
    expect(health.failingRules.map((f) => f.rule)).toEqual([SLOW]);
    expect(health.failingRules[0]!.lastError).toMatch(/did not answer within 500 ms/);
    expect(await daemonRule(url(), 'ai_service_failure')).toMatchObject({ health: 'ok' });
    expect(await daemonRule(url(), 'ai_error_rate_above_target')).toMatchObject({ health: 'ok' });

    // The group keeps its pace: the slow rule is evaluated (and fails) about once per interval.
    const before = await daemonMetric(url(), 'canary_rule_consecutive_failures', { rule: SLOW });
    await new Promise((r) => setTimeout(r, 5 * INTERVAL_MS));
    const after = await daemonMetric(url(), 'canary_rule_consecutive_failures', { rule: SLOW });
    expect(after - before).toBeGreaterThanOrEqual(3);

    // Prometheus scrapes the daemon and raises the daemon-health alert for that rule only.
    const alert = await eventually(
      async () =>
        (await stack.prom.alerts()).find(
          (a) => a.labels.alertname === 'CanaryRuleEvaluationFailing' && a.state === 'firing',
        ),
      { what: 'CanaryRuleEvaluationFailing firing in Prometheus', timeoutMs: 30_000 },
    );
    expect(alert.labels.rule).toBe(SLOW);
  });

  it('does not delay the rollback: 30% AI errors turn the flag off within the bound', async () => {
    const { stack } = running();
    const injectedAt = Date.now();
    stack.setAiErrorRate(0.3);
    const rollback = await waitForRollback(stack, injectedAt);
    expect(rollback.entry.context?.rule).toBe('ai_service_failure');
    // The bound of docs/ttr.md: condition held for `for`, then at most one interval + 1 s …
    const heldFor = rollback.activeAt + ROLLBACK_FOR_MS;
    expect(rollback.offAt).toBeGreaterThanOrEqual(heldFor);
    expect(rollback.offAt - heldFor, stackOutput(stack)).toBeLessThanOrEqual(INTERVAL_MS + 1000);
    // … and no later than one interval + 1 s after Prometheus's own firing of the same alert. Both
    // evaluate at the same slots, so it is usually within a second (DRILL_REPORT=1 prints it), but
    // this group also holds a rule that times out at the end of the interval's budget: on two
    // loaded cores (two suites at once) the write landed 1,197 ms after Prometheus's firing.
    const promFiring = await eventually(
      () => alertStateAt(stack.prom, 'ai_service_failure', 'firing', injectedAt),
      { what: 'Prometheus to fire ai_service_failure' },
    );
    if (process.env.DRILL_REPORT)
      console.info('slow-rule drill (ms):', {
        offAfterHeldFor: rollback.offAt - heldFor,
        offAfterPrometheusFiring: rollback.offAt - promFiring,
      });
    expect(rollback.offAt - promFiring, stackOutput(stack)).toBeLessThanOrEqual(INTERVAL_MS + 1000);
    // The slow rule is still failing on its own all along.
    expect((await daemonHealth(stack.daemon.url)).failingRules.map((f) => f.rule)).toEqual([SLOW]);
  });
});
