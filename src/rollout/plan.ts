// A rollout plan, as the strict loader hands it out: frozen, typed, every duration in ms.
import type { SourcePos } from '../canary/types.js';
import type { Segment } from '../flags/types.js';
import type { SequenceOptions, Worse } from './cohort-statistics.js';

/** Who a step widens: a flag segment, or `public` (the flag's `default` percentage). */
export type PlanSegment = Segment | 'public';

/** What a failed gate does: roll the flag back (off), pause the plan, or only tell people. */
export const FAILURE_POLICIES = ['rollback', 'pause', 'notify'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/**
 * The metrics a gate can compare between the flag-on (canary) and flag-off (baseline) cohorts,
 * with the direction that counts as worse and the statistic used. A closed set: each one needs its
 * observations gathered by the daemon, so a new name is code, not configuration.
 */
export const GUARDED_METRICS = {
  error_ratio: { worse: 'higher', kind: 'proportion', unit: 'ratio' },
  success_ratio: { worse: 'lower', kind: 'proportion', unit: 'ratio' },
  latency_mean: { worse: 'higher', kind: 'mean', unit: 'seconds' },
  // The share of searches slower than the gate's threshold (latency-exceedance.ts): p95 ≤ t is
  // "at most 5% slower than t", and a share has an anytime-valid sequence where a p95 has none.
  latency_p95: { worse: 'higher', kind: 'exceedance', unit: 'ratio' },
} as const satisfies Record<
  string,
  { worse: Worse; kind: 'proportion' | 'mean' | 'exceedance'; unit: 'ratio' | 'seconds' }
>;
export type GuardedMetric = keyof typeof GUARDED_METRICS;

export interface MinimumSample {
  /** AI searches (flag-on cohort) seen during the step. */
  readonly searches: number;
  /** Distinct users among them. */
  readonly users: number;
}

export interface PlanStep {
  readonly name: string;
  readonly segment: PlanSegment;
  /** Whole percent, 1..100, of the segment served AI search from this step on. */
  readonly percentage: number;
  readonly holdMs: number;
  readonly minSample: MinimumSample;
  readonly pos: SourcePos;
}

export type MetricGate =
  | {
      readonly metric: Exclude<GuardedMetric, 'latency_p95'>;
      /** The worsening (absolute, in the metric's unit) accepted before it is a regression. */
      readonly tolerance: number;
    }
  | {
      readonly metric: 'latency_p95';
      /**
       * Proportion points, in (0, 1): how much the flag-on cohort's share of searches slower than
       * `thresholdSeconds` may exceed the flag-off cohort's share.
       */
      readonly tolerance: number;
      /** A bound of the search latency histogram (exact counts there), in seconds. */
      readonly thresholdSeconds: number;
    };

export interface PlanGates {
  /** Alerts with these severity labels must be neither pending nor firing for a promotion. */
  readonly alertSeverities: readonly string[];
  /** Alert names the gate does not watch (e.g. the daemon's own health while it restarts). */
  readonly ignoredAlerts: readonly string[];
  readonly metrics: readonly MetricGate[];
}

export interface RolloutPlan {
  readonly file: string;
  readonly flag: string;
  readonly onFailure: FailurePolicy;
  readonly statistics: SequenceOptions;
  readonly steps: readonly PlanStep[];
  readonly gates: PlanGates;
}

export type ScaleResult =
  | { readonly ok: true; readonly plan: RolloutPlan }
  | { readonly ok: false; readonly error: string };

/**
 * `--time-scale K`: every hold divided by K (at least 1 ms), as fast mode divides rule durations.
 * Minimum samples are not scaled: a step still needs its evidence, only sooner.
 */
export function scalePlan(plan: RolloutPlan, factor: number): ScaleResult {
  if (!(Number.isFinite(factor) && factor >= 1)) {
    return { ok: false, error: `time scale must be a number ≥ 1, got ${String(factor)}` };
  }
  const steps = plan.steps.map((s) =>
    Object.freeze({ ...s, holdMs: Math.max(1, Math.round(s.holdMs / factor)) }),
  );
  return { ok: true, plan: Object.freeze({ ...plan, steps: Object.freeze(steps) }) };
}

/** The flag percentage key a segment's step writes. */
export function flagPercentageKey(segment: PlanSegment): Segment | 'default' {
  return segment === 'public' ? 'default' : segment;
}
