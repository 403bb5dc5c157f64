// GET /metrics from outside, as Prometheus would: the round trip and the render time the service
// reports in its Server-Timing header (what the handler spent, without the network or the client).
// One implementation for bench:service and bench:serve-keyword.
import { performance } from 'node:perf_hooks';

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

export interface ScrapeFigures {
  readonly roundTrip: Timings;
  readonly render: Timings;
  /** Size of the last page. */
  readonly bytes: number;
  readonly n: number;
}

/** GET /metrics at least `n` times and until `done()`: round trip and the Server-Timing render. */
export async function scrapes(
  url: string,
  n: number,
  done: () => boolean = () => true,
  pauseMs = 0,
): Promise<ScrapeFigures> {
  const roundTrip: number[] = [];
  const render: number[] = [];
  let bytes = 0;
  while (roundTrip.length < n || !done()) {
    const t = performance.now();
    const res = await fetch(`${url}/metrics`);
    bytes = (await res.text()).length;
    roundTrip.push(performance.now() - t);
    const dur = /render;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1];
    if (dur === undefined) throw new Error('/metrics answered without a Server-Timing render time');
    render.push(Number(dur));
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return { roundTrip: timings(roundTrip), render: timings(render), bytes, n: roundTrip.length };
}
