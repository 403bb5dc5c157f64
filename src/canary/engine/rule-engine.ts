// Evaluates one rule group at one slot: each alerting rule's query (bounded concurrency), the pure
// evaluator, the state store, metrics, logs and the actions that follow. A failed query leaves the
// rule's alert state as it was (the evaluator's contract) and never triggers an action.
// No rule may blind or delay another: rules that roll back are queried in requests of their own
// and settled as soon as those answer, a rule whose query timed out is queried on its own until
// it answers again, and the whole round has a time budget (most of the group's interval), so one
// slow expression fails alone and on time.
// Each expression is evaluated once per round: shared guards once for all rules, and the value
// the status page shows comes from the same answer as the verdict (rule-query.ts).
import type { Logger } from '../../shared/logger.js';
import type { ActionRunner } from '../actions/action-runner.js';
import type { DaemonMetrics } from '../metrics.js';
import {
  toQueryResult,
  type PrometheusClient,
  type QueryOutcome,
} from '../prometheus/prometheus-client.js';
import { planRuleQuery, type RuleQuery } from '../prometheus/rule-query.js';
import type { StateStore } from './state-store.js';
import type {
  AlertingRule,
  AlertState,
  EvalOutcome,
  QueryResult,
  RuleGroup,
  RuleState,
  Transition,
} from '../types.js';

export type EvaluateFn = (
  rule: AlertingRule,
  result: QueryResult,
  now: number,
  prev: RuleState | undefined,
) => EvalOutcome;

export interface RuleEngineOptions {
  readonly prometheus: PrometheusClient;
  readonly evaluate: EvaluateFn;
  readonly store: StateStore;
  readonly runner: ActionRunner;
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  /** Consecutive failed evaluations after which a rule counts as stuck in error (/healthz). */
  readonly stuckAfter: number;
  /**
   * Called when a rule queried alone (a rollback rule, a slow one) is settled before the rest of
   * its group: its state is shown then (the status is published), not when the group ends.
   */
  readonly onEarlySettled?: () => void;
}

/** A rule whose last evaluations all failed. */
export interface FailingRule {
  readonly rule: string;
  readonly group: string;
  readonly consecutiveFailures: number;
  /** Slot time of the first failure in the run. */
  readonly since: number;
  readonly lastError: string;
}

/** One group's queries at one slot: distinct expressions, and where each rule finds its own. */
interface Round {
  readonly exprs: readonly string[];
  /** Expressions each queried in a request of its own (those of isolated rules). */
  readonly alone: ReadonlySet<number>;
  /** Per rule, the indices of its expressions. */
  readonly at: readonly (readonly number[])[];
  readonly plans: readonly RuleQuery[];
  /** Per rule: queried alone (it rolls back, or it was slow). */
  readonly isolated: readonly boolean[];
  readonly outcomes: QueryOutcome[];
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** Share of a group's interval its queries may take, retries included; the rest is for the state. */
const QUERY_BUDGET_SHARE = 0.8;

export interface GroupResult {
  readonly group: string;
  readonly ts: number;
  readonly rules: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly firstError: string | undefined;
}

export class RuleEngine {
  /** Latest value of each rule's threshold left-hand side, by rule id (display only). */
  readonly currentValues = new Map<string, { value: number | null; at: number }>();
  /** Rules whose last evaluations failed, by rule id. */
  private readonly failing = new Map<string, FailingRule>();
  /** Rules whose query last timed out while others answered: queried alone until they answer. */
  private readonly slow = new Set<string>();
  private readonly plans = new WeakMap<AlertingRule, RuleQuery>();

  constructor(private readonly o: RuleEngineOptions) {}

  /** Forgets display values, failure runs and slowness of rules a reload removed. */
  retainValues(ids: ReadonlySet<string>): void {
    for (const id of [...this.currentValues.keys()])
      if (!ids.has(id)) this.currentValues.delete(id);
    // Like the other per-rule gauges, this one starts over: removed rules must not linger.
    this.o.metrics.consecutiveFailures.reset();
    for (const [id, f] of [...this.failing]) {
      if (!ids.has(id)) this.failing.delete(id);
      else this.o.metrics.consecutiveFailures.labels(f.rule).set(f.consecutiveFailures);
    }
    for (const id of [...this.slow]) if (!ids.has(id)) this.slow.delete(id);
  }

  /** Rules that failed at least `stuckAfter` evaluations in a row. */
  stuckRules(): FailingRule[] {
    return [...this.failing.values()].filter((f) => f.consecutiveFailures >= this.o.stuckAfter);
  }

  /** `idOf` gives each rule's state id (see rule-identity.ts). */
  async evaluateGroup(
    group: RuleGroup,
    ts: number,
    idOf: (rule: AlertingRule) => string,
  ): Promise<GroupResult> {
    const started = performance.now();
    const alerts = group.rules.filter((r): r is AlertingRule => r.kind === 'alert');
    const round = this.planRound(group, alerts, ts, idOf);
    const failures: string[] = [];
    let timedOut: string[] = [];
    const settle = (k: number) => {
      const rule = alerts[k]!;
      const id = idOf(rule);
      const outcomes = round.at[k]!.map((i) => round.outcomes[i]!);
      const { result, value } = round.plans[k]!.derive(outcomes);
      if (value !== undefined) this.currentValues.set(id, { value, at: ts });
      if (!result.ok && result.cause === 'timeout') timedOut.push(id);
      else if (result.ok) this.slow.delete(id);
      const error = this.applyResult(group, rule, id, result, ts);
      if (error !== undefined) failures.push(error);
    };
    await this.queryRound(round, ts, group.intervalMs * QUERY_BUDGET_SHARE, settle);
    // Only a rule that is slow while others answer is isolated: when every query times out, the
    // trouble is Prometheus, and a request per rule would only add to its load.
    if (failures.length === alerts.length) timedOut = [];
    for (const id of timedOut) this.slow.add(id);
    const durationMs = performance.now() - started;
    this.o.metrics.evaluationDuration.labels(group.name).observe(durationMs / 1000);
    if (alerts.length > 0 && failures.length < alerts.length) {
      this.o.metrics.lastSuccessfulEvaluation.set(ts / 1000);
    }
    return {
      group: group.name,
      ts,
      rules: alerts.length,
      failed: failures.length,
      durationMs,
      firstError: failures[0],
    };
  }

  /** Which expressions the group's rules need, each distinct one once, and which go alone. */
  private planRound(
    group: RuleGroup,
    alerts: readonly AlertingRule[],
    ts: number,
    idOf: (rule: AlertingRule) => string,
  ): Round {
    const exprs: string[] = [];
    const index = new Map<string, number>();
    const alone = new Set<number>();
    const plans = alerts.map((rule) => this.planOf(rule));
    const isolated = alerts.map(
      (rule) => rule.action === 'immediate_rollback' || this.slow.has(idOf(rule)),
    );
    const at: number[][] = [];
    // Requests start in expression order. When a round is too big for its budget, the tail is
    // not queried, so the order starts elsewhere at every slot (golden-ratio steps spread the
    // starts evenly): no rule is left out of several rounds in a row for long.
    const slot = Math.floor(ts / group.intervalMs);
    const shift = Math.floor(((slot * GOLDEN) % 1) * alerts.length);
    for (let n = 0; n < alerts.length; n++) {
      const k = (n + shift) % alerts.length;
      at[k] = plans[k]!.exprs.map((e) => {
        let i = index.get(e);
        if (i === undefined) index.set(e, (i = exprs.push(e) - 1));
        if (isolated[k]) alone.add(i);
        return i;
      });
    }
    return { exprs, alone, at, plans, isolated, outcomes: new Array<QueryOutcome>(exprs.length) };
  }

  /**
   * Queries a round: each expression that goes alone in a request of its own, the others in
   * batches. An isolated rule (rollbacks first of all) is settled as soon as its own answers are
   * in, the others once every answer is: a slow request delays only the rules that need it.
   */
  private async queryRound(
    round: Round,
    ts: number,
    budgetMs: number,
    settle: (k: number) => void,
  ): Promise<void> {
    const ask = async (indices: readonly number[]) => {
      const exprs = indices.map((i) => round.exprs[i]!);
      const answers = await this.o.prometheus.queryMany(exprs, ts, { budgetMs });
      indices.forEach((i, j) => (round.outcomes[i] = answers[j]!));
    };
    const asked = new Map([...round.alone].map((i) => [i, ask([i])]));
    const batched = round.exprs.map((_, i) => i).filter((i) => !round.alone.has(i));
    const early = round.isolated.map(async (isolated, k) => {
      if (!isolated) return;
      await Promise.all(round.at[k]!.map((i) => asked.get(i)));
      settle(k);
      this.o.onEarlySettled?.();
    });
    await Promise.all([...early, ...asked.values(), batched.length > 0 ? ask(batched) : null]);
    round.isolated.forEach((isolated, k) => isolated || settle(k));
  }

  private planOf(rule: AlertingRule): RuleQuery {
    let plan = this.plans.get(rule);
    if (plan === undefined) this.plans.set(rule, (plan = planRuleQuery(rule)));
    return plan;
  }

  /** Feeds one query outcome to the evaluator; returns the error when the query failed. */
  private applyResult(
    group: RuleGroup,
    rule: AlertingRule,
    id: string,
    result: QueryOutcome,
    ts: number,
  ): string | undefined {
    const { metrics, store } = this.o;
    const prev = store.getRule(id);
    const outcome = this.o.evaluate(rule, toQueryResult(result), ts, prev);
    store.setRule(id, outcome.state);
    metrics.evaluations.inc();
    this.noteRun(group, rule, id, result, ts);
    if (!result.ok) {
      metrics.evaluationFailures.labels(rule.name).inc();
      metrics.prometheusErrors.labels(result.kind).inc();
      if (prev?.health !== 'err') {
        this.o.logger.warn(
          { rule: rule.name, group: group.name, kind: result.kind },
          `rule ${rule.name}: query failed, state kept: ${result.error}`,
        );
      }
    }
    this.recordState(rule, outcome.state);
    for (const t of outcome.transitions) this.logTransition(t, rule);
    this.o.runner.afterEvaluation(id, group.name, rule, outcome, ts);
    return result.ok ? undefined : result.error;
  }

  /** Counts a rule's consecutive failures (for /healthz and CanaryRuleEvaluationFailing). */
  private noteRun(
    group: RuleGroup,
    rule: AlertingRule,
    id: string,
    result: QueryOutcome,
    ts: number,
  ): void {
    const before = this.failing.get(id);
    if (result.ok) {
      this.failing.delete(id);
      this.o.metrics.consecutiveFailures.labels(rule.name).set(0);
      return;
    }
    const run: FailingRule = {
      rule: rule.name,
      group: group.name,
      consecutiveFailures: (before?.consecutiveFailures ?? 0) + 1,
      since: before?.since ?? ts,
      lastError: result.error,
    };
    this.failing.set(id, run);
    this.o.metrics.consecutiveFailures.labels(rule.name).set(run.consecutiveFailures);
  }

  private recordState(rule: AlertingRule, state: RuleState): void {
    let pending = 0;
    let firing = 0;
    for (const i of state.instances.values()) {
      if (i.state === 'pending') pending++;
      else if (i.state === 'firing') firing++;
    }
    const overall: AlertState = firing > 0 ? 'firing' : pending > 0 ? 'pending' : 'inactive';
    this.o.metrics.setRuleState(rule.name, overall, pending, firing);
  }

  private logTransition(t: Transition, rule: AlertingRule): void {
    const fields = {
      rule: t.rule,
      labels: t.instance.labels,
      value: t.instance.value,
      from: t.from,
      to: t.to,
      activeAt: new Date(t.instance.activeAt).toISOString(),
    };
    const t2 = rule.threshold ? ` (threshold ${rule.threshold.op} ${rule.threshold.value})` : '';
    this.o.logger.info(
      fields,
      `alert ${t.rule} ${t.from} → ${t.to}, value ${t.instance.value}${t2}`,
    );
  }
}

/** The overall state of a rule, as shown: its most severe instance. */
export function overallState(state: RuleState | undefined): AlertState {
  let pending = false;
  for (const i of state?.instances.values() ?? []) {
    if (i.state === 'firing') return 'firing';
    if (i.state === 'pending') pending = true;
  }
  return pending ? 'pending' : 'inactive';
}
