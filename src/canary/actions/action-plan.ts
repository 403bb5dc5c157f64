// Which actions one evaluation of a rule calls for, decided from the evaluator's outcome and what
// was already done. Pure: the daemon's ActionRunner performs these steps, `canary backtest` lists
// them, so the two never disagree on when the daemon rolls back or notifies.
// An `immediate_rollback` rule rolls back once per firing instance (rule, labels, activeAt), and
// its alert is notified through the notify action the rule declares (its `notify` label, filled in
// by the loader: docs/rules.md), so people learn the feature is off. A notification goes out when
// an instance starts firing, again every resend delay while it fires, and once when a notified
// instance resolves.
import type { AlertEvent } from './action.js';
import type { ActionName, AlertInstance, AlertingRule, EvalOutcome } from '../types.js';

export type ActionStep =
  | {
      readonly kind: 'rollback';
      readonly action: 'immediate_rollback';
      readonly instance: AlertInstance;
      readonly key: string;
    }
  | {
      readonly kind: 'notify';
      readonly action: ActionName;
      readonly event: AlertEvent;
      readonly instance: AlertInstance;
    };

/** What was already done, as the caller keeps it (the state file, or a backtest's memory). */
export interface ActionMarks {
  /** This rollback (see rollbackKey) must not run again. */
  rollbackDone(key: string): boolean;
  /** The firing notice last sent for this instance key, if any. */
  notified(
    instanceKey: string,
  ): { readonly activeAt: number; readonly lastSentAt: number } | undefined;
}

export function rollbackKey(rule: string, instanceKey: string, activeAt: number): string {
  return `${rule}|${instanceKey}|${activeAt}`;
}

export function actionsDue(
  rule: AlertingRule,
  outcome: EvalOutcome,
  ts: number,
  marks: ActionMarks,
  resendDelayMs: number,
): ActionStep[] {
  if (!rule.action) return [];
  const steps: ActionStep[] = [];
  const firing = [...outcome.state.instances.values()].filter((i) => i.state === 'firing');
  if (rule.action === 'immediate_rollback') {
    for (const instance of firing) {
      const key = rollbackKey(rule.name, instance.key, instance.activeAt);
      if (!marks.rollbackDone(key))
        steps.push({ kind: 'rollback', action: 'immediate_rollback', instance, key });
    }
  }
  const action: ActionName | undefined =
    rule.action === 'immediate_rollback' ? rule.notify : rule.action;
  if (action === undefined) return steps;
  for (const instance of firing) {
    const mark = marks.notified(instance.key);
    let event: AlertEvent;
    if (!mark || mark.activeAt !== instance.activeAt) event = 'firing';
    else if (ts - mark.lastSentAt >= resendDelayMs) event = 'resend';
    else continue;
    steps.push({ kind: 'notify', action, event, instance });
  }
  for (const t of outcome.transitions) {
    if (t.to === 'resolved' && marks.notified(t.instance.key))
      steps.push({ kind: 'notify', action, event: 'resolved', instance: t.instance });
  }
  return steps;
}
