// The synthetic traffic generator of the local stack: a few searches per second against the
// search service, from users of every segment, with feedback ratings on some of them. It never
// throws and never keeps the process alive; failures are counted, not fatal (the service being
// slow or failing is exactly what the dashboards should show). With several service replicas the
// searches go round robin over them, so each gets an even share; a search's feedback goes to the
// replica that served it (recent searches, which feedback needs, live in that process only).
import { planSearch, seededRng, type TrafficPlanOptions } from './traffic-plan.js';

export interface TrafficOptions extends TrafficPlanOptions {
  /** Every replica of the search service; at least one. */
  readonly serviceUrls: readonly string[];
  readonly requestsPerSecond: number;
  readonly seed: number;
  /** Searches in flight at most; beyond it a tick is skipped (a slow service is not flooded). */
  readonly maxInFlight: number;
}

export interface TrafficStats {
  searches: number;
  failures: number;
  feedback: number;
  skipped: number;
}

export interface TrafficGenerator {
  readonly stats: Readonly<TrafficStats>;
  stop(): Promise<void>;
}

/** The search id from a search response, whatever the exact field name. */
function searchIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const id = b.searchId ?? b.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** The replica for the `n`th search: round robin, so N replicas get 1/N of the searches each. */
export function replicaFor(n: number, serviceUrls: readonly string[]): string {
  const url = serviceUrls[n % serviceUrls.length];
  if (url === undefined) throw new RangeError('traffic needs at least one service URL');
  return url;
}

export function startTraffic(opts: TrafficOptions): TrafficGenerator {
  replicaFor(0, opts.serviceUrls); // no replica at all is a programming error: say so at once
  const rng = seededRng(opts.seed);
  let sent = 0;
  const stats: TrafficStats = { searches: 0, failures: 0, feedback: 0, skipped: 0 };
  const inFlight = new Set<Promise<void>>();

  async function one(): Promise<void> {
    const plan = planSearch(rng, opts);
    const serviceUrl = replicaFor(sent++, opts.serviceUrls);
    const url = `${serviceUrl}/api/search?q=${encodeURIComponent(plan.query)}&limit=10`;
    try {
      const res = await fetch(url, {
        headers: { 'x-user-id': plan.userId },
        signal: AbortSignal.timeout(35_000),
      });
      stats.searches += 1;
      if (!res.ok) {
        stats.failures += 1;
        await res.body?.cancel();
        return;
      }
      const id = searchIdOf(await res.json());
      if (plan.rating === undefined || id === undefined) return;
      const fb = await fetch(`${serviceUrl}/api/search/${encodeURIComponent(id)}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': plan.userId },
        body: JSON.stringify({ rating: plan.rating }),
        signal: AbortSignal.timeout(5000),
      });
      await fb.body?.cancel();
      if (fb.ok) stats.feedback += 1;
    } catch {
      stats.failures += 1;
    }
  }

  const timer = setInterval(
    () => {
      if (inFlight.size >= opts.maxInFlight) {
        stats.skipped += 1;
        return;
      }
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    Math.max(10, Math.round(1000 / opts.requestsPerSecond)),
  );
  timer.unref();

  return {
    stats,
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
