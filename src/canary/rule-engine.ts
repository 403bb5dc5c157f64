// Evaluates one rule group at one slot: each alerting rule's query (bounded concurrency), the pure
// evaluator, the state store, metrics, logs and the actions that follow. A failed query leaves the
// rule's alert state as it was (the evaluator's contract) and never triggers an action.
import type { Logger } from '../shared/logger.js';
import type { ActionRunner } from './action-runner.js';
import type { DaemonMetrics } from './metrics.js';
import { toQueryResult, type PrometheusClient, type QueryOutcome } from './prometheus-client.js';
import type { StateStore } from './state-store.js';
import type {
  AlertingRule,
  AlertState,
  EvalOutcome,
  QueryResult,
  RuleGroup,
  RuleState,
  Transition,
} from './types.js';

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
  /** Also query the left side of `expr > threshold`, to show a rule's value while it is inactive. */
  readonly showValues: boolean;
}

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

  constructor(private readonly o: RuleEngineOptions) {}

  /** Drops display values of rules a reload removed. */
  retainValues(ids: ReadonlySet<string>): void {
    for (const id of [...this.currentValues.keys()])
      if (!ids.has(id)) this.currentValues.delete(id);
  }

  /** `idOf` gives each rule's state id (see rule-identity.ts). */
  async evaluateGroup(
    group: RuleGroup,
    ts: number,
    idOf: (rule: AlertingRule) => string,
  ): Promise<GroupResult> {
    const started = performance.now();
    const alerts = group.rules.filter((r): r is AlertingRule => r.kind === 'alert');
    const shown = this.o.showValues ? alerts.filter((r) => r.threshold !== undefined) : [];
    // One batched round for the group: every alert expression, then the display values.
    const exprs = [...alerts.map((r) => r.expr), ...shown.map((r) => r.threshold!.lhs)];
    const results = await this.o.prometheus.queryMany(exprs, ts);
    shown.forEach((rule, i) => this.noteValue(idOf(rule), rule, results[alerts.length + i]!, ts));
    const failures: string[] = [];
    alerts.forEach((rule, i) => {
      const error = this.applyResult(group, rule, idOf(rule), results[i]!, ts);
      if (error !== undefined) failures.push(error);
    });
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

  private noteValue(id: string, rule: AlertingRule, r: QueryOutcome, ts: number): void {
    if (!r.ok) return;
    // One number for the page: the largest (or, for `<` rules, the smallest) series value.
    const values = r.samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
    const lower = rule.threshold?.op === '<' || rule.threshold?.op === '<=';
    const value = values.length === 0 ? null : lower ? Math.min(...values) : Math.max(...values);
    this.currentValues.set(id, { value, at: ts });
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
