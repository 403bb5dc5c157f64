// The statistics of the benches' paired on/off comparisons: the mean of per-round differences
// with its 95% confidence interval, and a verdict that only calls a narrow interval a pass.

// Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
const T95 = [
  12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

export interface Interval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** Mean of paired per-round differences and its 95% confidence interval (Student's t). */
export function meanCi(xs: readonly number[]): Interval {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  const half = (T95[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean, lo: mean - half, hi: mean + half, n };
}

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * An overhead interval against its target. One wholly above the target is a result however
 * wide; only one narrower than `width` can show an overhead within it (a wide interval below the
 * target is noise, not a pass).
 */
export function verdict(ci: Pick<Interval, 'lo' | 'hi'>, target: number, width: number): string {
  const w = ci.hi - ci.lo;
  if (ci.lo > target) return `OVER the ${pct(target)} target`;
  if (w >= width)
    return `no result: the interval is ${pct(w)} wide, not narrower than ${pct(width)} (noise)`;
  if (ci.hi < -target)
    return 'on FASTER than off beyond the noise: a bias of the set-up, not a result';
  if (ci.hi <= target) return `within the ${pct(target)} target`;
  return `inconclusive: the interval straddles ${pct(target)}`;
}
