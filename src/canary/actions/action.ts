// The one interface every action implements. An action is idempotent (running it twice for the
// same alert instance leaves the world as running it once) and returns a result; it never throws.
import type { ActionName, AlertInstance, AlertingRule } from '../types.js';

export const ACTION_OUTCOMES = ['success', 'failure', 'skipped', 'dry_run'] as const;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];

/** Why an action runs: the alert started firing, is still firing (resend), or has resolved. */
export type AlertEvent = 'firing' | 'resend' | 'resolved';

export interface ActionRequest {
  readonly event: AlertEvent;
  readonly rule: AlertingRule;
  readonly group: string;
  readonly instance: AlertInstance;
  /** Slot time of the evaluation that triggered it. */
  readonly at: number;
  /** Aborted when the daemon stops: long retries give up. */
  readonly signal: AbortSignal;
}

export interface ActionResult {
  readonly outcome: ActionOutcome;
  /** What happened, for a person: "flag ai-search-enabled turned off (verified)". */
  readonly detail: string;
  readonly attempts: number;
}

export interface Action {
  readonly name: ActionName;
  /** What the action would do, for dry-run records and logs. */
  describe(req: ActionRequest): string;
  perform(req: ActionRequest): Promise<ActionResult>;
}

/** One line on why an action runs: rule, value against threshold, for, since when. */
export function describeWhy(rule: AlertingRule, instance: AlertInstance): string {
  const t = rule.threshold;
  const against = t ? ` ${t.op} ${t.value}` : '';
  const since = new Date(instance.activeAt).toISOString();
  return `${rule.name}: value ${formatValue(instance.value)}${against} for ${rule.forMs / 1000}s (active since ${since})`;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  // Four significant digits, without trailing zeros: 0.23, 0.012, 1234.
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
