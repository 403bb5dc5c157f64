// The p95-latency gate's statistic: the share of a cohort's searches slower than a fixed threshold,
// read from the search latency histogram, so that the flag-on and flag-off shares can be compared
// with the proportion confidence sequence (cohort-statistics.ts). Pure and total.
//
// Why a share above a threshold and not a quantile: a difference of two p95s has no simple
// anytime-valid confidence sequence (a quantile is not a mean of independent terms, and a histogram
// only brackets it between two bucket bounds). "Slower than t" IS a mean of independent 0/1 terms,
// so the asymptotic sequence applies unchanged, and at a bucket bound the histogram counts it
// exactly: searches slower than t = count − cumulative(le = t). And "p95 ≤ t" is the same
// statement as "at most 5% slower than t".
//
// Why t is fixed by the plan and not the flag-off cohort's own p95: a threshold re-estimated from
// the data moves between looks, and the sequence covers one fixed parameter over every look, not a
// different one at each; the flag-off cohort's share above its own p95 is also ≈ 5% by
// construction (selected from the same data), not a measurement. And the flag-off cohort is keyword
// search, milliseconds against an AI search's seconds: nearly every AI search is slower than
// keyword's p95, so that comparison would fail every healthy rollout.
import { BUCKETS } from '../shared/histogram-buckets.js';
import type { ProportionArm } from './cohort-statistics.js';

/** The bounds of `ai_search_search_duration`: a threshold must be one of them. */
export const SEARCH_DURATION_BOUNDS: readonly number[] = BUCKETS.search;

/** One cohort's latency histogram over the step's window: cumulative counts by upper bound. */
export interface LatencyHistogram {
  /** Sorted by `le`, the last one `le: Infinity` (its count is the cohort's total). */
  readonly buckets: readonly { readonly le: number; readonly cumulative: number }[];
}

export type ExceedanceResult =
  | { readonly ok: true; readonly arm: ProportionArm }
  | { readonly ok: false; readonly message: string };

/**
 * The searches slower than `thresholdSeconds` out of all searches. The threshold must be one of
 * the histogram's bounds: between two bounds the count would be a guess (interpolation), which
 * the sequence's guarantee does not cover. Counts are rounded (increase() extrapolates).
 */
export function exceedance(
  histogram: LatencyHistogram,
  thresholdSeconds: number,
): ExceedanceResult {
  const { buckets } = histogram;
  const total = buckets.at(-1);
  if (total === undefined || total.le !== Infinity) {
    return { ok: false, message: 'histogram has no +Inf bucket' };
  }
  for (const [i, b] of buckets.entries()) {
    const prev = buckets[i - 1];
    const sane = Number.isFinite(b.cumulative) && b.cumulative >= 0;
    if (!sane || (prev !== undefined && !(b.le > prev.le))) {
      return { ok: false, message: 'histogram buckets must have increasing bounds and counts ≥ 0' };
    }
  }
  const at = buckets.find((b) => b.le === thresholdSeconds);
  if (at === undefined || at.le === Infinity) {
    return {
      ok: false,
      message: `${thresholdSeconds}s is not a bucket bound of the latency histogram`,
    };
  }
  const trials = Math.round(total.cumulative);
  // Cumulative counts from increase() can dip by extrapolation noise: never below 0 or above n.
  const events = Math.min(trials, Math.max(0, Math.round(total.cumulative - at.cumulative)));
  return { ok: true, arm: { events, trials } };
}
