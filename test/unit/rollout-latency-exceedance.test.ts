// The p95-latency gate: the share of each cohort's searches slower than the plan's threshold, read
// exactly from the histogram at a bucket bound, compared with the proportion confidence sequence.
import { describe, expect, it } from 'vitest';
import { proportionDifferenceBound } from '../../src/rollout/cohort-statistics.js';
import { judgeGates } from '../../src/rollout/gates.js';
import type { CohortPair } from '../../src/rollout/gates.js';
import { exceedance, SEARCH_DURATION_BOUNDS } from '../../src/rollout/latency-exceedance.js';
import type { LatencyHistogram } from '../../src/rollout/latency-exceedance.js';
import { parsePlanText } from '../../src/rollout/load-plan.js';
import type { RolloutPlan } from '../../src/rollout/plan.js';
import { BUCKETS } from '../../src/shared/histogram-buckets.js';

/** A histogram with `total` searches, of which `slower` are above 2 s (some of them above 30 s). */
function histogram(total: number, slower: number): LatencyHistogram {
  return {
    buckets: [
      { le: 0.5, cumulative: (total - slower) / 2 },
      { le: 2, cumulative: total - slower },
      { le: 30, cumulative: total - Math.floor(slower / 3) },
      { le: Infinity, cumulative: total },
    ],
  };
}

function plan(tolerance: number, threshold: number): RolloutPlan {
  const parsed = parsePlanText(
    `flag: ai-search-enabled
on_failure: rollback
steps:
  - { name: beta, segment: beta-users, percentage: 10, hold: 1h, min_sample: { searches: 1, users: 1 } }
  - { name: all, segment: public, percentage: 100, hold: 1h, min_sample: { searches: 1, users: 1 } }
gates:
  metrics:
    - { metric: latency_p95, tolerance: ${tolerance}, threshold: ${threshold} }
`,
    'p95.yml',
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.plan;
}

function judge(p: RolloutPlan, pair: CohortPair | undefined, step = 0) {
  const reports = judgeGates(p, p.steps[step]!, [], pair ? { latency_p95: pair } : {});
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

describe('the share of searches slower than a bucket bound', () => {
  it('is the total minus the cumulative count at the bound', () => {
    expect(exceedance(histogram(1000, 90), 2)).toEqual({
      ok: true,
      arm: { events: 90, trials: 1000 },
    });
    expect(exceedance(histogram(1000, 90), 30)).toEqual({
      ok: true,
      arm: { events: 30, trials: 1000 },
    });
  });

  it('refuses a threshold between bounds, a histogram without +Inf, or bounds out of order', () => {
    const h = histogram(1000, 90);
    const refuse = (x: ReturnType<typeof exceedance>) => (x.ok ? 'accepted' : x.message);
    expect(refuse(exceedance(h, 3))).toMatch(/3s is not a bucket bound/);
    expect(refuse(exceedance(h, Infinity))).toMatch(/not a bucket bound/);
    expect(refuse(exceedance({ buckets: h.buckets.slice(0, 3) }, 2))).toMatch(/no \+Inf/);
    const swapped = [h.buckets[1]!, h.buckets[0]!, ...h.buckets.slice(2)];
    expect(refuse(exceedance({ buckets: swapped }, 2))).toMatch(/increasing bounds/);
  });

  it('rounds increase() extrapolation and keeps events within 0..trials', () => {
    const noisy = {
      buckets: [
        { le: 2, cumulative: 1000.4 },
        { le: Infinity, cumulative: 999.6 },
      ],
    };
    expect(exceedance(noisy, 2)).toEqual({ ok: true, arm: { events: 0, trials: 1000 } });
  });

  it('knows the bounds of the service’s search latency histogram', () => {
    expect(SEARCH_DURATION_BOUNDS).toEqual(BUCKETS.search);
  });
});

describe('the latency_p95 gate', () => {
  // Vector, computed by hand in Python (math.log/sqrt), α = 0.05, N* = 5000:
  //   canary 90/1000 slower than 2 s (p_c = 0.09), baseline 15/3000 (p_b = 0.005)
  //   difference = 0.085
  //   SE² = 0.09·0.91/1000 + 0.005·0.995/3000 = 8.1900e-5 + 1.6583e-6 = 8.355833e-5
  //   n = 4000; ρ² = (−2 ln 0.1 + ln(1 − 2 ln 0.1)) / 5000 = (4.605170 + 1.723689)/5000 = 1.265772e-3
  //   nρ² = 5.063088; half-width = sqrt(n·SE² · 2(nρ² + 1)/(nρ²·n) · ln(1 + sqrt(nρ² + 1)/0.1))
  //                              = sqrt(0.3342333 · 12.126175/20252.35 · 3.243504) = 0.0254775
  //   lower bound = 0.085 − 0.0254775 = 0.0595225
  // So it is a regression against a tolerance of 0.05 and not against 0.06.
  const pair: CohortPair = {
    kind: 'exceedance',
    canary: histogram(1000, 90),
    baseline: histogram(3000, 15),
  };

  it('fails when the whole interval of the share difference is beyond the tolerance', () => {
    const r = judge(plan(0.05, 2), pair);
    expect(r.verdict).toBe('failed');
    expect(r.reason).toContain('slower than 2s: canary 90/1000, baseline 15/3000');
    expect(r.reason).toContain('difference 0.085, one-sided lower bound 0.05952 (n 4000)');
    const [c, b] = [exceedance(pair.canary, 2), exceedance(pair.baseline, 2)];
    if (!c.ok || !b.ok) throw new Error('exceedance refused the vector');
    const bound = proportionDifferenceBound(c.arm, b.arm, 'higher');
    expect(bound).toMatchObject({ ok: true, estimate: expect.closeTo(0.085, 12) });
    expect(bound.ok && bound.halfWidth).toBeCloseTo(0.0254775, 6);
    expect(bound.ok && bound.bound).toBeCloseTo(0.0595225, 6);
  });

  it('passes when the bound is within the tolerance', () => {
    const r = judge(plan(0.06, 2), pair);
    expect(r.verdict).toBe('pass');
    expect(r.reason).toContain('lower bound 0.05952');
  });

  it('reads the threshold from the plan: at 30 s only 30 of the canary’s are slower', () => {
    // canary 30/1000, baseline 5/3000: the difference 0.02833 is below 0.05, so no bound can fail.
    const r = judge(plan(0.05, 30), pair);
    expect(r.verdict).toBe('pass');
    expect(r.reason).toContain('slower than 30s: canary 30/1000, baseline 5/3000');
  });

  it('blocks without observations or with too few searches, and is not compared at 100%', () => {
    expect(judge(plan(0.05, 2), undefined).verdict).toBe('blocked');
    const few: CohortPair = {
      kind: 'exceedance',
      canary: histogram(20, 10),
      baseline: pair.baseline,
    };
    const r = judge(plan(0.05, 2), few);
    expect(r.verdict).toBe('blocked');
    expect(r.reason).toMatch(/too-few-samples/);
    // A service whose histogram lacks the threshold's bound (5 s here): no verdict, not a failure.
    const other = judge(plan(0.05, 5), pair);
    expect(other.verdict).toBe('blocked');
    expect(other.reason).toMatch(/5s is not a bucket bound/);
    expect(judge(plan(0.05, 2), pair, 1)).toMatchObject({ verdict: 'pass' });
    expect(judge(plan(0.05, 2), pair, 1).reason).toMatch(/no flag-off cohort/);
  });
});
