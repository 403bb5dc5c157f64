// The pure core of `canary backtest`: one alerting rule stepped through its group's slots with the
// daemon's own evaluator, fed the instant vector Prometheus history holds at each slot. It returns
// every transition and the actions the daemon would have started, with the value, threshold, `for`
// and activeAt behind each. State starts empty at the first slot, as a daemon started then.
import { actionsDue, type ActionMarks } from '../actions/action-plan.js';
import type { AlertEvent } from '../actions/action.js';
import { alertKey } from '../engine/alert-key.js';
import { evaluateRule } from '../engine/evaluator.js';
import type { EvaluateFn } from '../engine/rule-engine.js';
import { overallState } from '../engine/rule-engine.js';
import type {
  ActionName,
  AlertingRule,
  AlertState,
  EvalOutcome,
  RuleState,
  Sample,
} from '../types.js';
import type { SlotVectors } from './range-query.js';

export interface ReplayedTransition {
  readonly at: number;
  readonly group: string;
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The labels that tell this rule's instances apart (`{route="/search"}`; `{}` for one instance). */
  readonly instance: string;
  readonly from: AlertState | 'resolved';
  readonly to: AlertState | 'resolved';
  /** The instance's value; for a move to inactive or resolved, its series' value then (null: none). */
  readonly value: number | null;
  /** `> 0.1`, or null when the expression has no top-level comparison. */
  readonly threshold: string | null;
  readonly forSeconds: number;
  readonly activeAt: number;
}

export interface PlannedAction {
  readonly at: number;
  readonly action: ActionName;
  readonly event: AlertEvent;
  readonly group: string;
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly instance: string;
  readonly value: number;
  readonly threshold: string | null;
  readonly forSeconds: number;
  readonly activeAt: number;
}

/** One slot of a rule, for the chart: the shown value and the rule's overall state after it. */
export interface ReplayPoint {
  readonly at: number;
  readonly value: number | null;
  readonly state: AlertState;
}

export interface RuleReplay {
  readonly group: string;
  readonly rule: AlertingRule;
  readonly points: readonly ReplayPoint[];
  readonly transitions: readonly ReplayedTransition[];
  readonly actions: readonly PlannedAction[];
}

export function replayRule(
  group: string,
  rule: AlertingRule,
  slots: readonly number[],
  alert: SlotVectors,
  shown: SlotVectors | undefined,
  evaluate: EvaluateFn = evaluateRule,
): RuleReplay {
  const threshold = rule.threshold ? `${rule.threshold.op} ${rule.threshold.value}` : null;
  const base = { group, rule: rule.name, threshold, forSeconds: rule.forMs / 1000 };
  const points: ReplayPoint[] = [];
  const transitions: ReplayedTransition[] = [];
  const actions: PlannedAction[] = [];
  const memory: ActionMemory = { rolledBack: new Set(), notified: new Map() };
  let state: RuleState | undefined;
  for (const at of slots) {
    const samples = alert.get(at) ?? [];
    const outcome = evaluate(rule, { ok: true, samples }, at, state);
    state = outcome.state;
    for (const t of outcome.transitions) {
      const { labels, activeAt } = t.instance;
      const instance = instanceLabels(rule, labels);
      // An instance that left the result has no value of its own at this slot: show its series'
      // value then (the threshold's left side), not the last value it had while active.
      const gone = t.to === 'inactive' || t.to === 'resolved';
      const value = gone ? seriesValue(shown?.get(at), labels) : t.instance.value;
      transitions.push({ ...base, at, labels, instance, from: t.from, to: t.to, value, activeAt });
    }
    actions.push(...plannedActions(rule, base, outcome, at, memory));
    const value = displayValue(rule, shown ? (shown.get(at) ?? []) : samples);
    points.push({ at, value, state: overallState(outcome.state) });
  }
  return { group, rule, points, transitions, actions };
}

/** What the backtest has "done" so far, standing in for the daemon's state file. */
interface ActionMemory {
  readonly rolledBack: Set<string>;
  /** Instance key → activeAt of the firing notice sent. */
  readonly notified: Map<string, number>;
}

type Base = Pick<PlannedAction, 'group' | 'rule' | 'threshold' | 'forSeconds'>;

/**
 * The daemon's own decision (action-plan.ts) after one evaluation, every action assumed to
 * succeed. Resends while firing are left out (an infinite resend delay).
 */
function plannedActions(
  rule: AlertingRule,
  base: Base,
  outcome: EvalOutcome,
  at: number,
  memory: ActionMemory,
): PlannedAction[] {
  const marks: ActionMarks = {
    rollbackDone: (key) => memory.rolledBack.has(key),
    notified: (key) => {
      const activeAt = memory.notified.get(key);
      return activeAt === undefined ? undefined : { activeAt, lastSentAt: at };
    },
  };
  return actionsDue(rule, outcome, at, marks, Infinity).map((step) => {
    const i = step.instance;
    if (step.kind === 'rollback') memory.rolledBack.add(step.key);
    else if (step.event === 'resolved') memory.notified.delete(i.key);
    else memory.notified.set(i.key, i.activeAt);
    return {
      ...base,
      at,
      action: step.action,
      event: step.kind === 'rollback' ? 'firing' : step.event,
      labels: i.labels,
      instance: instanceLabels(rule, i.labels),
      value: i.value,
      activeAt: i.activeAt,
    };
  });
}

/** The one number shown for a slot: the largest value, or the smallest for `<` rules. */
function displayValue(rule: AlertingRule, samples: readonly Sample[]): number | null {
  const values = samples.map((s) => s.value).filter((v) => Number.isFinite(v));
  if (values.length === 0) return null;
  const lower = rule.threshold?.op === '<' || rule.threshold?.op === '<=';
  return lower ? Math.min(...values) : Math.max(...values);
}

function instanceLabels(rule: AlertingRule, labels: Readonly<Record<string, string>>): string {
  const own = Object.entries(labels).filter(([k]) => k !== 'alertname' && !(k in rule.labels));
  return `{${alertKey(Object.fromEntries(own))}}`;
}

/** The value of the series behind an instance: the sample whose labels the instance carries. */
function seriesValue(
  samples: readonly Sample[] | undefined,
  labels: Readonly<Record<string, string>>,
): number | null {
  const own = samples?.find((s) =>
    Object.entries(s.labels).every(([k, v]) => k === '__name__' || labels[k] === v),
  );
  return own === undefined ? null : own.value;
}
