// Synthetic LLM-call traffic for `canary simulate`: Poisson arrivals at a fixed rate, each call
// failing with the probability its failure-rate schedule gives at that moment, counted the way the
// search service exports them (gen_ai_client_operation_duration_count, failures with error_type)
// and sampled at each scrape. Seeded: the same plan and seed give the same counters.
import { mulberry32, type Random } from '../shared/random.js';

/** The failure probability of one call made `atMs` after the run started. */
export type FailureSchedule = (atMs: number) => number;

export interface TrafficSpec {
  /** LLM calls per second (the mean of a Poisson process). */
  readonly ratePerSec: number;
  readonly schedule: FailureSchedule;
  readonly durationMs: number;
  readonly scrapeMs: number;
  readonly seed: number;
}

/** Cumulative counters at each scrape: `calls[i]` all calls so far, `failed[i]` the failed ones. */
export interface Counters {
  readonly calls: Float64Array;
  readonly failed: Float64Array;
}

/** Poisson-distributed count with mean `mean`: multiplication for small means, PTRS (Hörmann 1993) above. */
export function poisson(rand: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = rand(); p > limit; p *= rand()) k++;
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rand() - 0.5;
    const v = rand();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
      -mean + k * loglam - logFactorial(k)
    )
      return k;
  }
}

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

/** Binomial(n, p) by counting Bernoulli trials: n stays in the hundreds per scrape here. */
export function binomial(rand: Random, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

/** Counters of one run, one entry per scrape (the first scrape, at 0, reads zero). */
export function generateCounters(spec: TrafficSpec): Counters {
  const scrapes = Math.floor(spec.durationMs / spec.scrapeMs) + 1;
  const calls = new Float64Array(scrapes);
  const failed = new Float64Array(scrapes);
  const rand = mulberry32(spec.seed);
  const mean = (spec.ratePerSec * spec.scrapeMs) / 1000;
  for (let i = 1; i < scrapes; i++) {
    const n = poisson(rand, mean);
    // The schedule is read at the middle of the scrape interval the calls fell in.
    const x = binomial(rand, n, spec.schedule((i - 0.5) * spec.scrapeMs));
    calls[i] = calls[i - 1]! + n;
    failed[i] = failed[i - 1]! + x;
  }
  return { calls, failed };
}

/**
 * Deterministic traffic: one call every `everyMs`, every `failEvery`-th one failing ("1 failure in
 * 3 calls": everyMs 100 s, failEvery 3 puts three calls and one failure in each 5-minute window).
 */
export function patternCounters(
  durationMs: number,
  scrapeMs: number,
  everyMs: number,
  failEvery: number,
): Counters {
  const scrapes = Math.floor(durationMs / scrapeMs) + 1;
  const calls = new Float64Array(scrapes);
  const failed = new Float64Array(scrapes);
  for (let i = 0; i < scrapes; i++) {
    const made = Math.floor((i * scrapeMs) / everyMs);
    calls[i] = made;
    failed[i] = Math.floor(made / failEvery);
  }
  return { calls, failed };
}
