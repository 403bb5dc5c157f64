// What a rollout step's gates are judged on, read from Prometheus over the step's window: the
// flag-on (canary) and flag-off (baseline) cohorts, told apart by the searches'
// `feature_flag_result_variant` label (OTel feature_flag.result.variant), and the step's sample.
// Instant queries at `now`, over [stepStartedAt, now], and one at `stepStartedAt`; `cohortsFromSamples` turns their
// answers into the pure core's inputs and is unit-tested on its own.
//
// Counts come from increase(), which extrapolates to the window's edges, so they are rounded.
// A search counts as failed when its outcome is `error` or `degraded` (an AI search that fell back
// to keyword results failed as an AI search). The latency gate compares means: the mean is exact
// (histogram _sum / _count); the variance is estimated from the bucket midpoints around it. The
// p95 gate gets each cohort's buckets as they are (latency-exceedance.ts reads the share slower
// than the plan's threshold from them): the same query, no extra one.
import type { CohortPair } from '../../rollout/gates.js';
import type { LatencyHistogram } from '../../rollout/latency-exceedance.js';
import type { GuardedMetric } from '../../rollout/plan.js';
import type { RolloutObservations } from '../../rollout/rollout-state.js';
import type { PrometheusClient } from '../prometheus/prometheus-client.js';
import type { Sample } from '../types.js';

export const VARIANT_LABEL = 'feature_flag_result_variant';
export const CANARY_VARIANT = 'on';
export const BASELINE_VARIANT = 'off';
const FAILED_OUTCOMES = new Set(['error', 'degraded']);

/** The step's window in whole seconds (at least 1), as a PromQL range. */
export function stepWindow(stepStartedAt: number, now: number): string {
  return `${Math.max(1, Math.ceil((now - stepStartedAt) / 1000))}s`;
}

export function cohortQueries(window: string) {
  const inc = (series: string, by: string) => `sum by (${by}) (increase(${series}[${window}]))`;
  return {
    searches: inc('ai_search_searches_total', `${VARIANT_LABEL}, outcome`),
    buckets: inc('ai_search_search_duration_bucket', `${VARIANT_LABEL}, le`),
    sums: inc('ai_search_search_duration_sum', VARIANT_LABEL),
    // Not increase(): the service counts a step's users in a burst right after the flag changes,
    // often before the first scrape inside the window, which increase() would then miss. The
    // counter's value now minus its value when the step started (the last scrape before it)
    // counts them all; asked at both times (USERS_AT_START).
    users: `sum by (${VARIANT_LABEL}) (ai_search_cohort_users_total)`,
  } as const;
}

type WindowQueryName = keyof ReturnType<typeof cohortQueries>;
export type CohortQueryName = WindowQueryName | 'usersAtStart';

export type CohortObservation =
  | ({ readonly ok: true } & Pick<RolloutObservations, 'sample' | 'cohorts'>)
  | { readonly ok: false; readonly error: string };

export async function observeCohorts(
  prometheus: PrometheusClient,
  stepStartedAt: number,
  now: number,
): Promise<CohortObservation> {
  const queries = cohortQueries(stepWindow(stepStartedAt, now));
  const names = Object.keys(queries) as WindowQueryName[];
  const answers = await Promise.all([
    ...names.map((n) => prometheus.query(queries[n], now)),
    prometheus.query(queries.users, stepStartedAt),
  ]);
  const samples = {} as Record<CohortQueryName, readonly Sample[]>;
  for (const [i, name] of [...names, 'usersAtStart' as const].entries()) {
    const a = answers[i]!;
    if (!a.ok) return { ok: false, error: `${name} query failed: ${a.error}` };
    samples[name] = a.samples;
  }
  return { ok: true, ...cohortsFromSamples(samples) };
}

const count = (x: number) => (Number.isFinite(x) ? Math.max(0, Math.round(x)) : 0);

export function cohortsFromSamples(
  s: Readonly<Record<CohortQueryName, readonly Sample[]>>,
): Pick<RolloutObservations, 'sample' | 'cohorts'> {
  const arm = (variant: string) => {
    const searches = s.searches.filter((x) => x.labels[VARIANT_LABEL] === variant);
    const total = (pick: (outcome: string) => boolean) =>
      count(searches.filter((x) => pick(x.labels.outcome ?? '')).reduce((n, x) => n + x.value, 0));
    return {
      trials: total(() => true),
      failed: total((o) => FAILED_OUTCOMES.has(o)),
      succeeded: total((o) => o === 'success'),
      histogram: latencyHistogram(s, variant),
    };
  };
  const on = arm(CANARY_VARIANT);
  const off = arm(BASELINE_VARIANT);
  const usersOn = (xs: readonly Sample[]) =>
    xs.find((x) => x.labels[VARIANT_LABEL] === CANARY_VARIANT)?.value ?? 0;
  const [nowUsers, startUsers] = [usersOn(s.users), usersOn(s.usersAtStart)];
  // Lower than at the start: the service restarted (counter reset); count from the restart.
  const users = nowUsers >= startUsers ? nowUsers - startUsers : nowUsers;
  const cohorts: Partial<Record<GuardedMetric, CohortPair>> = {
    error_ratio: {
      kind: 'proportion',
      canary: { events: on.failed, trials: on.trials },
      baseline: { events: off.failed, trials: off.trials },
    },
    success_ratio: {
      kind: 'proportion',
      canary: { events: on.succeeded, trials: on.trials },
      baseline: { events: off.succeeded, trials: off.trials },
    },
  };
  if (on.histogram && off.histogram) {
    const [canary, baseline] = [
      latencyArm(s, CANARY_VARIANT, on.histogram),
      latencyArm(s, BASELINE_VARIANT, off.histogram),
    ];
    if (canary && baseline) cohorts.latency_mean = { kind: 'mean', canary, baseline };
    cohorts.latency_p95 = { kind: 'exceedance', canary: on.histogram, baseline: off.histogram };
  }
  return { sample: { searches: on.trials, users: count(users) }, cohorts };
}

/** One variant's cumulative buckets, sorted, ending at +Inf; undefined without searches. */
function latencyHistogram(
  s: Readonly<Record<CohortQueryName, readonly Sample[]>>,
  variant: string,
): LatencyHistogram | undefined {
  const buckets = s.buckets
    .filter((x) => x.labels[VARIANT_LABEL] === variant)
    .map((x) => ({
      le: x.labels.le === '+Inf' ? Infinity : Number(x.labels.le),
      cumulative: x.value,
    }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const inf = buckets.at(-1);
  if (inf === undefined || inf.le !== Infinity || !(inf.cumulative > 0)) return undefined;
  return { buckets };
}

/** Mean (exact) and variance (from bucket midpoints) of one variant's search latency. */
function latencyArm(
  s: Readonly<Record<CohortQueryName, readonly Sample[]>>,
  variant: string,
  { buckets }: LatencyHistogram,
): { n: number; mean: number; variance: number } | undefined {
  const n = buckets.at(-1)!.cumulative;
  const sum = s.sums.find((x) => x.labels[VARIANT_LABEL] === variant)?.value;
  if (sum === undefined) return undefined;
  const mean = sum / n;
  let squares = 0;
  let below = 0;
  let lower = 0;
  for (const b of buckets) {
    const inBucket = Math.max(0, b.cumulative - below);
    // The +Inf bucket has no upper edge: its searches are placed at the last finite bound.
    const mid = b.le === Infinity ? lower : (lower + b.le) / 2;
    squares += inBucket * (mid - mean) ** 2;
    below = Math.max(below, b.cumulative);
    if (b.le !== Infinity) lower = b.le;
  }
  return { n: count(n), mean, variance: squares / n };
}
