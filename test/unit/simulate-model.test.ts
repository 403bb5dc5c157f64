// The pure parts of `canary simulate`: the traffic it generates has the statistics it claims,
// the PromQL rewrites keep an expression's meaning, the replay is the daemon's evaluator, and the
// figures are computed from firings as the goal table says.
import { describe, expect, it } from 'vitest';
import type { AlertingRule, Sample } from '../../src/canary/types.js';
import { scopeSelectors } from '../../src/simulate/scope-selectors.js';
import { planRuns, STEP_HORIZON_MS, WARM_MS, type SimOptions } from '../../src/simulate/plan.js';
import { firingsBySegment } from '../../src/simulate/replay.js';
import { goalTable, summarize, ttrQuantile, withinShare } from '../../src/simulate/results.js';
import { generateCounters, patternCounters, poisson } from '../../src/simulate/traffic.js';
import { mulberry32 } from '../../src/shared/random.js';

describe('simulated traffic', () => {
  it.each([0.5, 7.5, 30, 750])('draws Poisson counts with mean and variance %s', (mean) => {
    const rand = mulberry32(7);
    const xs = Array.from({ length: 20_000 }, () => poisson(rand, mean));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
    expect(Math.abs(m - mean)).toBeLessThan(4 * Math.sqrt(mean / xs.length));
    expect(v / mean).toBeGreaterThan(0.93);
    expect(v / mean).toBeLessThan(1.07);
  });

  it('counts calls and failures at the scheduled rates, the same for the same seed', () => {
    const spec = {
      ratePerSec: 2,
      schedule: (t: number) => (t < 3_600_000 ? 0.02 : 0.3),
      durationMs: 7_200_000,
      scrapeMs: 15_000,
      seed: 3,
    };
    const c = generateCounters(spec);
    expect(c.calls.length).toBe(481);
    expect(c.calls[0]).toBe(0);
    const half = 240;
    const calls1 = c.calls[half]!;
    const fail1 = c.failed[half]!;
    expect(calls1).toBeGreaterThan(7200 * 0.95);
    expect(calls1).toBeLessThan(7200 * 1.05);
    expect(fail1 / calls1).toBeGreaterThan(0.012);
    expect(fail1 / calls1).toBeLessThan(0.028);
    const late = (c.failed[480]! - fail1) / (c.calls[480]! - calls1);
    expect(late).toBeGreaterThan(0.27);
    expect(late).toBeLessThan(0.33);
    expect(generateCounters(spec).failed).toEqual(c.failed);
    expect(generateCounters({ ...spec, seed: 4 }).failed).not.toEqual(c.failed);
  });

  it('puts three calls and one failure in every 5 minutes for "1 failure in 3 calls"', () => {
    const c = patternCounters(3_600_000, 15_000, 100_000, 3);
    for (let i = 20; i < c.calls.length; i++) {
      expect(c.calls[i]! - c.calls[i - 20]!).toBe(3);
      expect(c.failed[i]! - c.failed[i - 20]!).toBe(1);
    }
  });
});

describe('PromQL rewrites', () => {
  it('scopes every selector to one run and leaves functions alone', () => {
    expect(
      scopeSelectors('sum(rate(a{x!=""}[5m])) or vector(0) > b and on() c{}', 'sim_run', 'r1'),
    ).toBe(
      'sum(rate(a{sim_run="r1",x!=""}[5m])) or vector(0) > b{sim_run="r1"} and on() c{sim_run="r1"}',
    );
  });

  it('reports PromQL that does not parse', () => {
    expect(() => scopeSelectors('sum(rate(a[5m]', 'sim_run', 'r')).toThrow(/cannot parse PromQL/);
  });
});

const rule: AlertingRule = {
  kind: 'alert',
  name: 'r',
  expr: 'x > 0.1',
  forMs: 60_000,
  keepFiringForMs: 0,
  labels: {},
  annotations: {},
  action: 'immediate_rollback',
  flag: 'f',
  notify: 'notify_dev_team',
  threshold: undefined,
  pos: { file: 'f', line: 1, col: 1 },
};

describe('replay through the daemon evaluator', () => {
  it('fires once the condition has held for `for`, once per episode, each segment from a fresh state', () => {
    const on: Sample[] = [{ labels: {}, value: 0.2 }];
    const values = new Map<number, Sample[]>();
    // Present from 30 s to 120 s (fires at 90 s), absent, then present again from 300 s on.
    for (let t = 30_000; t <= 120_000; t += 15_000) values.set(t, on);
    for (let t = 300_000; t <= 600_000; t += 15_000) values.set(t, on);
    const firings = firingsBySegment(
      rule,
      values,
      [
        { fromMs: 0, toMs: 599_999 },
        { fromMs: 330_000, toMs: 600_000 },
      ],
      15_000,
    );
    expect(firings).toEqual([[90_000, 360_000], [390_000]]);
  });
});

describe('figures', () => {
  const opts: SimOptions = {
    rates: [0.1],
    steadyRates: [0.1],
    steadyFailures: [0.05],
    steadyDays: 1,
    stepFailures: [0.3],
    baseline: 0.02,
    episodes: 4,
    withinMs: 20 * 60_000,
    seed: 1,
    intervalMs: 15_000,
    scrapeMs: 15_000,
  };

  it('plans steady, step and pattern runs on one time axis, with aligned evaluation segments', () => {
    const runs = planRuns(opts);
    expect(runs.map((r) => r.id)).toEqual(['steady-0.1-0.05', 'step-0.1-0.3', 'one-in-three']);
    const step = runs[1]!;
    expect(step.switches).toHaveLength(4);
    expect(step.switches[1]! - step.switches[0]!).toBe(WARM_MS + STEP_HORIZON_MS);
    for (const s of runs.flatMap((r) => r.segments)) expect(s.fromMs % 15_000).toBe(0);
  });

  it('counts false rollbacks per 30 days, TTR from each step, and the goal table rows', () => {
    const [steady, step, pattern] = planRuns(opts).map(({ counters: _c, ...meta }) => meta);
    const sw = step!.switches;
    const results = summarize('new', 'f.yml', [
      { run: steady!, firings: [[1, 2]] },
      {
        run: step!,
        firings: [
          [],
          [sw[0]! + 480_000],
          [],
          [sw[1]! + 600_000],
          [sw[2]! - 60_000],
          [],
          [],
          [sw[3]! + 420_000],
        ],
      },
      { run: pattern!, firings: [[]] },
    ]);
    const s = results.steady[0]!;
    expect(s.firings).toBe(2);
    expect(s.per30Days).toBeCloseTo((2 * 30) / s.evaluatedDays, 6);
    const st = results.steps[0]!;
    expect(st.ttrMs).toEqual([480_000, 600_000, undefined, 420_000]);
    expect(st.early).toBe(1);
    expect(ttrQuantile(st.ttrMs, 0.5)).toBe(600_000);
    expect(ttrQuantile(st.ttrMs, 1)).toBeUndefined();
    expect(withinShare(st.ttrMs, 500_000)).toBe(0.5);
    const rows = goalTable([results]);
    expect(rows.map((r) => r.goal)).toEqual(['5% steady', '2% → 30%', '1 failure in 3 calls']);
    expect(rows[1]!.measured[0]!.met).toBe(false); // one episode missed: "never missed" fails
    expect(rows[2]!.measured[0]).toEqual({ text: '0 rollbacks', met: true });
  });
});
