// The cohort gate's statistic: an anytime-valid, one-sided confidence sequence on the absolute
// difference canary − baseline, of two proportions (error ratio, success ratio, the p95 gate's
// share slower than a threshold: latency-exceedance.ts) or two means (latency), after
// Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence sequences"
// (arXiv 2103.06476, eq. 134 for one side, ρ from eq. 161), as GrowthBook's gbstats uses it for
// Safe Rollouts. Pure and total: bad input is a value with a reason.
//
// Why a confidence sequence: the daemon looks at the cohorts on every tick of a hold that lasts
// days. A fixed-n interval checked that often alarms far more often than α (peeking); a confidence
// sequence holds its level uniformly over every look, so checking each interval costs nothing.
//
// The bound, for n = n_canary + n_baseline looks at the pooled sample and s² = n · SE², where
// SE² = v_c/n_c + v_b/n_b is the plug-in variance of the difference:
//   half-width(n) = sqrt( s² · 2(nρ² + 1)/(nρ)² · ln(1 + sqrt(nρ² + 1)/(2α)) )
//   ρ = sqrt( (−2 ln(2α) + ln(1 − 2 ln(2α))) / N* )
// N* (the tuning parameter) is the sample size at which the sequence is tightest; it does not
// change the error rate, only where the width is spent. GrowthBook's default, 5000, is ours.
//
// Error budget (what α = 0.05 does and does not promise):
// - Type I, over every look of one gate in one step: P(some look says "regression" when the true
//   difference is within tolerance) ≤ α, ASYMPTOTICALLY: the guarantee rests on the central limit
//   theorem and a plug-in variance, so it holds as n grows, not at every small n. The minimum
//   per-arm sample (MIN_ARM_SIZE, and the plan's minimum sample) keeps the gate away from the
//   regime where the normal approximation is poor. A seeded A/A simulation in the unit tests
//   (peeking 50 times) measures the realised rate and checks it stays near or below α.
// - Each guarded metric and each step spends its own α: k metrics over s steps can raise a false
//   rollback up to k·s·α in the worst case (Bonferroni). Lower α in the plan to buy that back.
// - Searches are treated as independent units. Searches by one user are correlated, which makes
//   the true variance larger than the plug-in one and the realised error rate higher than α.
// - Zero variance in both cohorts (e.g. no failures anywhere) gives a zero-width interval: the
//   verdict is then the raw difference, which the minimum samples keep from being a handful.
// - One-sided: it bounds how much WORSE the canary is; it never proves the canary is better.
// - Floating point: ~1e-12 relative; the unit tests pin it against vectors computed in Python.

/** Proportions: `events` out of `trials` (e.g. failed searches out of searches) in one cohort. */
export interface ProportionArm {
  readonly events: number;
  readonly trials: number;
}

/** Means: a cohort's sample size, mean and (population) variance, e.g. latency in seconds. */
export interface MeanArm {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

/** Which direction of the difference canary − baseline is a regression. */
export type Worse = 'higher' | 'lower';

export interface SequenceOptions {
  /** Error rate over all looks, in (0, 0.5). */
  readonly alpha: number;
  /** N*: the total sample size at which the sequence is tightest (> 0). */
  readonly tuningN: number;
}

export const DEFAULT_SEQUENCE: SequenceOptions = Object.freeze({ alpha: 0.05, tuningN: 5000 });

/** Fewer than this in either cohort and the normal approximation is not trusted at all. */
export const MIN_ARM_SIZE = 30;

export type BoundResult =
  | {
      readonly ok: true;
      /** canary − baseline, as observed. */
      readonly estimate: number;
      /** The one-sided bound on the worse side's opposite: lower bound when higher is worse. */
      readonly bound: number;
      readonly halfWidth: number;
      readonly standardError: number;
      readonly n: number;
      readonly worse: Worse;
    }
  | { readonly ok: false; readonly reason: BoundFailure; readonly message: string };

export type BoundFailure = 'invalid-input' | 'too-few-samples';

/** The sequence's half-width for a per-observation variance `s2` after `n` observations. */
export function sequenceHalfWidth(s2: number, n: number, options: SequenceOptions): number {
  const a2 = 2 * options.alpha;
  const rho2 = (-2 * Math.log(a2) + Math.log(1 - 2 * Math.log(a2))) / options.tuningN;
  const nr2 = n * rho2;
  return Math.sqrt(((s2 * 2 * (nr2 + 1)) / (nr2 * n)) * Math.log(1 + Math.sqrt(nr2 + 1) / a2));
}

export function proportionDifferenceBound(
  canary: ProportionArm,
  baseline: ProportionArm,
  worse: Worse,
  options: SequenceOptions = DEFAULT_SEQUENCE,
): BoundResult {
  for (const [name, arm] of [
    ['canary', canary],
    ['baseline', baseline],
  ] as const) {
    if (!isCount(arm.trials) || !isCount(arm.events) || arm.events > arm.trials) {
      return invalid(`${name}: events and trials must be whole numbers with events ≤ trials`);
    }
  }
  const toMean = (arm: ProportionArm): MeanArm => {
    const p = arm.trials === 0 ? 0 : arm.events / arm.trials;
    return { n: arm.trials, mean: p, variance: p * (1 - p) };
  };
  return meanDifferenceBound(toMean(canary), toMean(baseline), worse, options);
}

export function meanDifferenceBound(
  canary: MeanArm,
  baseline: MeanArm,
  worse: Worse,
  options: SequenceOptions = DEFAULT_SEQUENCE,
): BoundResult {
  const problem = optionsProblem(options) ?? armProblem('canary', canary);
  const found = problem ?? armProblem('baseline', baseline);
  if (found !== undefined) return invalid(found);
  if (canary.n < MIN_ARM_SIZE || baseline.n < MIN_ARM_SIZE) {
    return {
      ok: false,
      reason: 'too-few-samples',
      message: `need at least ${MIN_ARM_SIZE} in each cohort (canary ${canary.n}, baseline ${baseline.n})`,
    };
  }
  const estimate = canary.mean - baseline.mean;
  const se2 = canary.variance / canary.n + baseline.variance / baseline.n;
  const n = canary.n + baseline.n;
  const halfWidth = sequenceHalfWidth(se2 * n, n, options);
  const bound = worse === 'higher' ? estimate - halfWidth : estimate + halfWidth;
  return { ok: true, estimate, bound, halfWidth, standardError: Math.sqrt(se2), n, worse };
}

export type CohortVerdict =
  | { readonly verdict: 'regression'; readonly reason: string }
  | { readonly verdict: 'within-tolerance'; readonly reason: string }
  | { readonly verdict: 'no-verdict'; readonly reason: string };

/**
 * A regression only when the whole one-sided interval lies on the worse side of the tolerance:
 * for higher-is-worse, bound > +tolerance; for lower-is-worse, bound < −tolerance. `tolerance` is
 * the worsening (absolute, ≥ 0) the plan accepts. Anything else passes the gate for this look.
 */
export function judgeDifference(result: BoundResult, tolerance: number): CohortVerdict {
  if (!result.ok) return { verdict: 'no-verdict', reason: `${result.reason}: ${result.message}` };
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) {
    return { verdict: 'no-verdict', reason: 'invalid-input: tolerance must be a number ≥ 0' };
  }
  const higher = result.worse === 'higher';
  const regressed = higher ? result.bound > tolerance : result.bound < -tolerance;
  const side = higher ? 'lower' : 'upper';
  const limit = higher ? `> +${fmt(tolerance)}` : `< −${fmt(tolerance)}`;
  const numbers =
    `difference ${fmt(result.estimate)}, one-sided ${side} bound ${fmt(result.bound)} ` +
    `(n ${result.n})`;
  return regressed
    ? { verdict: 'regression', reason: `${numbers} ${limit}: the whole interval is worse` }
    : { verdict: 'within-tolerance', reason: `${numbers}: not beyond tolerance ${fmt(tolerance)}` };
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

function isCount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

function optionsProblem(o: SequenceOptions): string | undefined {
  if (!(o.alpha > 0 && o.alpha < 0.5)) return `alpha must be in (0, 0.5), got ${o.alpha}`;
  if (!(Number.isFinite(o.tuningN) && o.tuningN > 0)) {
    return `tuning N* must be a positive number, got ${o.tuningN}`;
  }
  return undefined;
}

function armProblem(name: string, arm: MeanArm): string | undefined {
  if (!isCount(arm.n)) return `${name}: n must be a whole number ≥ 0`;
  if (!Number.isFinite(arm.mean)) return `${name}: mean must be a finite number`;
  if (!(Number.isFinite(arm.variance) && arm.variance >= 0)) {
    return `${name}: variance must be a finite number ≥ 0`;
  }
  return undefined;
}

function invalid(message: string): BoundResult {
  return { ok: false, reason: 'invalid-input', message };
}
