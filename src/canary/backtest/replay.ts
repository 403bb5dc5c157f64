// The pure core of `canary backtest`: one alerting rule stepped through its group's slots with the
// daemon's own evaluator, fed the instant vector Prometheus history holds at each slot. It returns
// every transition and the actions the daemon would have started, with the value, threshold, `for`
// and activeAt behind each. State starts empty at the first slot, as a daemon started then.
import { rollbackKey } from '../action-runner.js';
import { alertKey } from '../alert-key.js';
import { evaluateRule } from '../evaluator.js';
import type { EvaluateFn } from '../rule-engine.js';
import { overallState } from '../rule-engine.js';
import type {
  ActionName,
  AlertInstance,
  AlertingRule,
  AlertState,
  RuleState,
  Sample,
  Transition,
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
  readonly event: 'firing' | 'resolved';
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
    actions.push(...plannedActions(rule, base, outcome.state, outcome.transitions, at, memory));
    const value = displayValue(rule, shown ? (shown.get(at) ?? []) : samples);
    points.push({ at, value, state: overallState(outcome.state) });
  }
  return { group, rule, points, transitions, actions };
}

interface ActionMemory {
  readonly rolledBack: Set<string>;
  /** Instance key → activeAt of the firing notice sent. */
  readonly notified: Map<string, number>;
}

type Base = Pick<PlannedAction, 'group' | 'rule' | 'threshold' | 'forSeconds'>;

/**
 * What ActionRunner.afterEvaluation starts after one evaluation: a rollback once per firing
 * instance (rule, labels, activeAt); for a rollback rule also the dev team's notice; a notice when
 * an instance starts firing and when a notified one resolves. Resends are left out.
 */
function plannedActions(
  rule: AlertingRule,
  base: Base,
  state: RuleState,
  transitions: readonly Transition[],
  at: number,
  memory: ActionMemory,
): PlannedAction[] {
  if (!rule.action) return [];
  const out: PlannedAction[] = [];
  const plan = (action: ActionName, event: PlannedAction['event'], i: AlertInstance) =>
    out.push({
      ...base,
      at,
      action,
      event,
      labels: i.labels,
      instance: instanceLabels(rule, i.labels),
      value: i.value,
      activeAt: i.activeAt,
    });
  const notice: ActionName = rule.action === 'immediate_rollback' ? 'notify_dev_team' : rule.action;
  for (const inst of state.instances.values()) {
    if (inst.state !== 'firing') continue;
    const key = rollbackKey(rule.name, inst.key, inst.activeAt);
    if (rule.action === 'immediate_rollback' && !memory.rolledBack.has(key)) {
      memory.rolledBack.add(key);
      plan('immediate_rollback', 'firing', inst);
    }
    if (memory.notified.get(inst.key) !== inst.activeAt) {
      memory.notified.set(inst.key, inst.activeAt);
      plan(notice, 'firing', inst);
    }
  }
  for (const t of transitions) {
    if (t.to !== 'resolved' || !memory.notified.has(t.instance.key)) continue;
    memory.notified.delete(t.instance.key);
    plan(notice, 'resolved', t.instance);
  }
  return out;
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
