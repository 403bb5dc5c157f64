// What `canary simulate` runs: steady traffic at the failure rates a healthy service may have
// (every rollback there is false), step changes from a baseline to a bad rate (time to rollback,
// and the OC curve), and the "1 failure in 3 calls" pattern. All runs share one time axis, so
// one Prometheus holds them all; each is told apart by its `sim_run` label.
import { generateCounters, patternCounters, type Counters } from './traffic.js';

export interface SimOptions {
  /** Traffic levels of the step runs (TTR, OC curve), LLM calls per second. */
  readonly rates: readonly number[];
  /** Traffic levels of the steady runs (false rollbacks). */
  readonly steadyRates: readonly number[];
  /** Steady failure rates (a healthy service): every rollback is false. */
  readonly steadyFailures: readonly number[];
  readonly steadyDays: number;
  /** Failure rates stepped to from `baseline`: the OC curve's x axis. */
  readonly stepFailures: readonly number[];
  readonly baseline: number;
  /** Step episodes per (rate, failure rate). */
  readonly episodes: number;
  /** "Rolled back within T": the OC curve's T. */
  readonly withinMs: number;
  readonly seed: number;
  /** The rule group's evaluation interval (query_range step). */
  readonly intervalMs: number;
  readonly scrapeMs: number;
}

/** A stretch evaluated from a fresh alert state; `switchAt` marks where a step episode's bad rate starts. */
export interface Segment {
  readonly fromMs: number;
  readonly toMs: number;
}

export type RunKind = 'steady' | 'step' | 'pattern';

export interface PlannedRun {
  readonly id: string;
  readonly kind: RunKind;
  readonly ratePerSec: number;
  /** Steady: the failure rate; step: the rate stepped to; pattern: the pattern's ratio. */
  readonly failure: number;
  readonly counters: Counters;
  /** Steady and pattern: one segment. Step: per episode, the baseline part then the bad part. */
  readonly segments: readonly Segment[];
  /** Step runs: the moment each episode's bad rate starts (absolute ms). */
  readonly switches: readonly number[];
}

/** Long enough at the baseline for the longest window (15m) and `for` to forget the last episode. */
export const WARM_MS = 30 * 60_000;
/** The bad part of an episode: a rollback later than this counts as missed. */
export const STEP_HORIZON_MS = 45 * 60_000;
/** Baseline evaluation starts this long into an episode (the previous episode has left every window). */
const SETTLE_MS = 20 * 60_000;
const PATTERN_MS = 6 * 3600_000;

/** The shared time axis: scrapes 7 s after evaluation slots, so no sample sits on a window edge. */
export const EPOCH_MS = Date.UTC(2026, 0, 1);
export const SCRAPE_OFFSET_MS = 7_000;

const alignUp = (ms: number, step: number) => Math.ceil(ms / step) * step;

export function planRuns(o: SimOptions): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const start = EPOCH_MS + SCRAPE_OFFSET_MS;
  let seed = o.seed;
  for (const rate of o.steadyRates) {
    for (const p of o.steadyFailures) {
      const durationMs = o.steadyDays * 86_400_000;
      runs.push({
        id: `steady-${rate}-${p}`,
        kind: 'steady',
        ratePerSec: rate,
        failure: p,
        counters: generateCounters({
          ratePerSec: rate,
          schedule: () => p,
          durationMs,
          scrapeMs: o.scrapeMs,
          seed: seed++,
        }),
        segments: [{ fromMs: alignUp(start + SETTLE_MS, o.intervalMs), toMs: start + durationMs }],
        switches: [],
      });
    }
  }
  for (const rate of o.rates) {
    for (const p of o.stepFailures) {
      const episodeMs = WARM_MS + STEP_HORIZON_MS;
      const segments: Segment[] = [];
      const switches: number[] = [];
      for (let e = 0; e < o.episodes; e++) {
        const epStart = start + e * episodeMs;
        const at = epStart + WARM_MS;
        switches.push(at);
        segments.push({ fromMs: alignUp(epStart + SETTLE_MS, o.intervalMs), toMs: at - 1 });
        segments.push({ fromMs: alignUp(at, o.intervalMs), toMs: epStart + episodeMs - 1 });
      }
      const schedule = (t: number) => (t % episodeMs < WARM_MS ? o.baseline : p);
      runs.push({
        id: `step-${rate}-${p}`,
        kind: 'step',
        ratePerSec: rate,
        failure: p,
        counters: generateCounters({
          ratePerSec: rate,
          schedule,
          durationMs: o.episodes * episodeMs,
          scrapeMs: o.scrapeMs,
          seed: seed++,
        }),
        segments,
        switches,
      });
    }
  }
  // One failure in every three calls, three calls per 5 minutes: 33%, on too little evidence.
  runs.push({
    id: 'one-in-three',
    kind: 'pattern',
    ratePerSec: 0.01,
    failure: 1 / 3,
    counters: patternCounters(PATTERN_MS, o.scrapeMs, 100_000, 3),
    segments: [{ fromMs: alignUp(start + SETTLE_MS, o.intervalMs), toMs: start + PATTERN_MS }],
    switches: [],
  });
  return runs;
}
