// The gates of one look at a step: each one passes, blocks the promotion for now, or fails (and
// the plan's on_failure policy applies). Pure: the observations are arguments.
import {
  judgeDifference,
  meanDifferenceBound,
  proportionDifferenceBound,
} from './cohort-statistics.js';
import type { MeanArm, ProportionArm } from './cohort-statistics.js';
import { GUARDED_METRICS } from './plan.js';
import type { GuardedMetric, PlanStep, RolloutPlan } from './plan.js';

/** An alert the daemon holds as active, with its severity label. */
export interface ActiveAlert {
  readonly name: string;
  readonly severity: string;
  readonly state: 'pending' | 'firing';
}

/** One guarded metric over the step's window, flag-on (canary) against flag-off (baseline). */
export type CohortPair =
  | {
      readonly kind: 'proportion';
      readonly canary: ProportionArm;
      readonly baseline: ProportionArm;
    }
  | { readonly kind: 'mean'; readonly canary: MeanArm; readonly baseline: MeanArm };

export type GateVerdict = 'pass' | 'blocked' | 'failed';

export interface GateReport {
  /** `alerts`, or the guarded metric's name. */
  readonly gate: 'alerts' | GuardedMetric;
  readonly verdict: GateVerdict;
  /** The numbers behind the verdict, for the audit and the status page. */
  readonly reason: string;
}

export function judgeAlerts(plan: RolloutPlan, alerts: readonly ActiveAlert[]): GateReport {
  const { alertSeverities, ignoredAlerts } = plan.gates;
  const watched = alerts.filter(
    (a) => alertSeverities.includes(a.severity) && !ignoredAlerts.includes(a.name),
  );
  const firing = watched.filter((a) => a.state === 'firing');
  const pending = watched.filter((a) => a.state === 'pending');
  const list = (xs: readonly ActiveAlert[]) =>
    xs.map((a) => `${a.name} (${a.severity})`).join(', ');
  // Firing is Prometheus's verdict after its `for`; pending may still clear, so it only waits.
  if (firing.length > 0) {
    return { gate: 'alerts', verdict: 'failed', reason: `firing: ${list(firing)}` };
  }
  if (pending.length > 0) {
    return { gate: 'alerts', verdict: 'blocked', reason: `pending: ${list(pending)}` };
  }
  return {
    gate: 'alerts',
    verdict: 'pass',
    reason: `no ${plan.gates.alertSeverities.join('/')} alert pending or firing`,
  };
}

export function judgeMetric(
  plan: RolloutPlan,
  step: PlanStep,
  metric: GuardedMetric,
  tolerance: number,
  pair: CohortPair | undefined,
): GateReport {
  const spec = GUARDED_METRICS[metric];
  // At 100% of the public there is no flag-off cohort left to compare with: only alerts judge.
  if (step.segment === 'public' && step.percentage === 100) {
    return { gate: metric, verdict: 'pass', reason: 'no flag-off cohort at 100%: not compared' };
  }
  if (pair === undefined || pair.kind !== spec.kind) {
    return { gate: metric, verdict: 'blocked', reason: 'no cohort observations' };
  }
  const bound =
    pair.kind === 'proportion'
      ? proportionDifferenceBound(pair.canary, pair.baseline, spec.worse, plan.statistics)
      : meanDifferenceBound(pair.canary, pair.baseline, spec.worse, plan.statistics);
  const judged = judgeDifference(bound, tolerance);
  switch (judged.verdict) {
    case 'regression':
      return { gate: metric, verdict: 'failed', reason: judged.reason };
    case 'within-tolerance':
      return { gate: metric, verdict: 'pass', reason: judged.reason };
    case 'no-verdict':
      return { gate: metric, verdict: 'blocked', reason: judged.reason };
  }
}

export function judgeGates(
  plan: RolloutPlan,
  step: PlanStep,
  alerts: readonly ActiveAlert[],
  cohorts: Readonly<Partial<Record<GuardedMetric, CohortPair>>>,
): GateReport[] {
  return [
    ...(plan.gates.alertSeverities.length > 0 ? [judgeAlerts(plan, alerts)] : []),
    ...plan.gates.metrics.map((g) =>
      judgeMetric(plan, step, g.metric, g.tolerance, cohorts[g.metric]),
    ),
  ];
}

/** `error_ratio: failed (…); alerts: pass (…)` for an audit reason. */
export function describeGates(reports: readonly GateReport[]): string {
  return reports.map((r) => `${r.gate}: ${r.verdict} (${r.reason})`).join('; ');
}
