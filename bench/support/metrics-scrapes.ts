// GET /metrics from outside, as Prometheus would: the round trip, the render time the service
// reports in its Server-Timing header (what the handler spent, without the network or the client),
// and from the service's own `http_server_request_duration` for the /metrics route (request
// received → response written, the server's whole part) the share handled within the target and
// the bucket that holds the p99. One implementation for bench:service and bench:serve-keyword.
import { performance } from 'node:perf_hooks';

/** The target for /metrics (p99), seconds. */
const TARGET_SECONDS = 0.005;

/** "handled ≤ 5 ms: 99.7%, p99 ≤ 5 ms (299 requests)". */
export const describeHandled = (h: Handled): string =>
  `handled by the server ≤ ${TARGET_SECONDS * 1000} ms: ${(100 * h.withinTarget).toFixed(1)}%, p99 ≤ ${h.p99AtMost} ms (${h.n} requests)`;

export interface Timings {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
};

export const timings = (xs: readonly number[]): Timings => ({
  p50: quantile(xs, 0.5),
  p99: quantile(xs, 0.99),
  max: Math.max(...xs),
});

/** The server's whole part of the scrapes, from its own histogram (bucket bounds, seconds). */
export interface Handled {
  /** Share of the scrapes handled within the target. */
  readonly withinTarget: number;
  /** Upper bound of the bucket holding the p99, ms. */
  readonly p99AtMost: number;
  readonly n: number;
}

export interface ScrapeFigures {
  readonly roundTrip: Timings;
  readonly render: Timings;
  readonly handled: Handled;
  /** Size of the last page. */
  readonly bytes: number;
  readonly n: number;
}

/** Cumulative bucket counts of /metrics requests in a /metrics page, by upper bound (seconds). */
export function metricsRouteBuckets(page: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of page.matchAll(/^http_server_request_duration_bucket\{([^}]*)\} (\S+)$/gm)) {
    if (!m[1]!.includes('http_route="/metrics"')) continue;
    const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + Number(m[2]));
  }
  return out;
}

/** What the buckets gained between two pages: the requests in between. */
export function handledBetween(
  before: Map<number, number>,
  after: Map<number, number>,
  targetSeconds: number,
): Handled {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const gained = (bound: number) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
  const n = gained(Infinity);
  if (n === 0) return { withinTarget: 0, p99AtMost: 0, n };
  const within = bounds.filter((b) => b <= targetSeconds).at(-1);
  const p99 = bounds.find((b) => gained(b) >= 0.99 * n) ?? Infinity;
  return {
    withinTarget: within === undefined ? 0 : gained(within) / n,
    p99AtMost: p99 * 1000,
    n,
  };
}

/**
 * GET /metrics at least `n` times and until `done()`: round trip, the Server-Timing render, and
 * the server's whole part from its histogram (the requests between the first and the last page).
 */
export async function scrapes(
  url: string,
  n: number,
  done: () => boolean = () => true,
  pauseMs = 0,
): Promise<ScrapeFigures> {
  const roundTrip: number[] = [];
  const render: number[] = [];
  let bytes = 0;
  // Only the first and the last page are read for the histogram, after the loop: parsing each
  // page in between would add the client's work (and garbage) to the scrapes it measures.
  let first: string | undefined;
  let last = '';
  while (roundTrip.length < n || !done()) {
    const t = performance.now();
    const res = await fetch(`${url}/metrics`);
    last = await res.text();
    roundTrip.push(performance.now() - t);
    bytes = last.length;
    first ??= last;
    const dur = /render;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1];
    if (dur === undefined) throw new Error('/metrics answered without a Server-Timing render time');
    render.push(Number(dur));
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return {
    roundTrip: timings(roundTrip),
    render: timings(render),
    handled: handledBetween(
      metricsRouteBuckets(first ?? last),
      metricsRouteBuckets(last),
      TARGET_SECONDS,
    ),
    bytes,
    n: roundTrip.length,
  };
}
