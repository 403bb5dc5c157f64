// The gates of one look at a step: each one passes, blocks the promotion for now, or fails (and
// the plan's on_failure policy applies). Pure: the observations are arguments.
import {
  judgeDifference,
  meanDifferenceBound,
  proportionDifferenceBound,
} from './cohort-statistics.js';
import type { BoundResult, MeanArm, ProportionArm } from './cohort-statistics.js';
import { exceedance } from './latency-exceedance.js';
import type { LatencyHistogram } from './latency-exceedance.js';
import { GUARDED_METRICS } from './plan.js';
import type { GuardedMetric, MetricGate, PlanStep, RolloutPlan } from './plan.js';

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
  | { readonly kind: 'mean'; readonly canary: MeanArm; readonly baseline: MeanArm }
  | {
      readonly kind: 'exceedance';
      readonly canary: LatencyHistogram;
      readonly baseline: LatencyHistogram;
    };

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
  gate: MetricGate,
  pair: CohortPair | undefined,
): GateReport {
  const metric = gate.metric;
  const spec = GUARDED_METRICS[metric];
  // At 100% of the public there is no flag-off cohort left to compare with: only alerts judge.
  if (step.segment === 'public' && step.percentage === 100) {
    return { gate: metric, verdict: 'pass', reason: 'no flag-off cohort at 100%: not compared' };
  }
  if (pair === undefined || pair.kind !== spec.kind) {
    return { gate: metric, verdict: 'blocked', reason: 'no cohort observations' };
  }
  let prefix = '';
  let bound: BoundResult;
  if (pair.kind === 'exceedance') {
    // Only latency_p95 is of this kind (GUARDED_METRICS); the check narrows the gate's type.
    if (gate.metric !== 'latency_p95') {
      return { gate: metric, verdict: 'blocked', reason: 'no threshold for this metric' };
    }
    const t = gate.thresholdSeconds;
    const canary = exceedance(pair.canary, t);
    const baseline = exceedance(pair.baseline, t);
    // No such bucket (a service with other bounds) or a malformed answer: no verdict, never a fail.
    if (!canary.ok || !baseline.ok) {
      const message = [canary, baseline].flatMap((r) => (r.ok ? [] : [r.message])).join('; ');
      return { gate: metric, verdict: 'blocked', reason: `invalid-input: ${message}` };
    }
    const share = (a: ProportionArm) => `${a.events}/${a.trials}`;
    prefix =
      `slower than ${t}s: canary ${share(canary.arm)}, baseline ${share(baseline.arm)}; ` +
      'share ';
    bound = proportionDifferenceBound(canary.arm, baseline.arm, spec.worse, plan.statistics);
  } else {
    bound =
      pair.kind === 'proportion'
        ? proportionDifferenceBound(pair.canary, pair.baseline, spec.worse, plan.statistics)
        : meanDifferenceBound(pair.canary, pair.baseline, spec.worse, plan.statistics);
  }
  const judged = judgeDifference(bound, gate.tolerance);
  const reason = prefix + judged.reason;
  switch (judged.verdict) {
    case 'regression':
      return { gate: metric, verdict: 'failed', reason };
    case 'within-tolerance':
      return { gate: metric, verdict: 'pass', reason };
    case 'no-verdict':
      return { gate: metric, verdict: 'blocked', reason };
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
    ...plan.gates.metrics.map((g) => judgeMetric(plan, step, g, cohorts[g.metric])),
  ];
}

/** `error_ratio: failed (…); alerts: pass (…)` for an audit reason. */
export function describeGates(reports: readonly GateReport[]): string {
  return reports.map((r) => `${r.gate}: ${r.verdict} (${r.reason})`).join('; ');
}
