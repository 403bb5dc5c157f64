// When things happened, as Prometheus recorded them: the first sample of a series after a moment
// (raw samples of a range selector, so the time is the scrape or evaluation timestamp itself, not
// a query step). Used to split the time to rollback into its parts and to compare the daemon
// with Prometheus's own alerting.
import type { PrometheusHandle } from '../../harness/index.js';

interface MatrixResult {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** Raw samples of `selector` over the last `lookbackSeconds`, every series, oldest first. */
export async function rawSamples(
  prom: PrometheusHandle,
  selector: string,
  lookbackSeconds = 300,
): Promise<{ t: number; v: number; metric: Record<string, string> }[]> {
  const params = new URLSearchParams({ query: `${selector}[${lookbackSeconds}s]` });
  const res = await fetch(`${prom.url}/api/v1/query?${params}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: MatrixResult[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus ${selector}: ${body.error}`);
  return body.data.result
    .flatMap((r) => r.values.map(([t, v]) => ({ t: t * 1000, v: Number(v), metric: r.metric })))
    .sort((a, b) => a.t - b.t);
}

/** Time (ms) of the first sample at or after `since` that satisfies `test`, or undefined. */
export async function firstSampleAfter(
  prom: PrometheusHandle,
  selector: string,
  since: number,
  test: (v: number) => boolean = () => true,
): Promise<number | undefined> {
  const lookback = Math.ceil((Date.now() - since) / 1000) + 5;
  const samples = await rawSamples(prom, selector, lookback);
  return samples.find((s) => s.t >= since && test(s.v))?.t;
}

/** When Prometheus first evaluated `alertname` in `state` after `since` (its ALERTS series). */
export function alertStateAt(
  prom: PrometheusHandle,
  alertname: string,
  state: 'pending' | 'firing',
  since: number,
): Promise<number | undefined> {
  return firstSampleAfter(
    prom,
    `ALERTS{alertname="${alertname}",alertstate="${state}"}`,
    since,
    (v) => v === 1,
  );
}

/** When the first failed LLM call after `since` was scraped: the first scrape whose failure count grew. */
export async function firstFailureScrapedAt(
  prom: PrometheusHandle,
  since: number,
): Promise<number | undefined> {
  const lookback = Math.ceil((Date.now() - since) / 1000) + 5;
  const samples = await rawSamples(
    prom,
    'gen_ai_client_operation_duration_count{error_type!=""}',
    lookback,
  );
  // Every failure series comes from the one service scrape: add them up per scrape timestamp.
  const byTime = new Map<number, number>();
  for (const s of samples) byTime.set(s.t, (byTime.get(s.t) ?? 0) + s.v);
  const times = [...byTime.keys()].sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) {
    const t = times[i]!;
    if (t >= since && byTime.get(t)! > byTime.get(times[i - 1]!)!) return t;
  }
  return undefined;
}
