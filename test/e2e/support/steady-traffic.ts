// Steady search traffic from the test itself: a fixed number of searches per second, round-robin
// over users of every segment, each query different (so no cache hit spares an LLM call). Every
// answer is recorded with the moment its request was sent, so a test can ask what users were
// served before and after a rollback.
import type { SegmentUser } from './segment-users.js';

export interface SearchRecord {
  /** The service (replica) that was asked. */
  readonly serviceUrl: string;
  readonly userId: string;
  readonly segment: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly status: number;
  /** `ai` or `keyword` (the rollout's choice); undefined when the answer was not a 200. */
  readonly mode: string | undefined;
  readonly degraded: boolean;
}

export interface SteadyTraffic {
  readonly records: readonly SearchRecord[];
  /** Searches skipped because `maxInFlight` were still running (a slow service is not flooded). */
  readonly skipped: number;
  stop(): Promise<void>;
}

export interface SteadyTrafficOptions {
  readonly serviceUrl: string;
  /** Which replica the `n`th search goes to (default: always `serviceUrl`). */
  readonly route?: (n: number) => string;
  readonly users: readonly SegmentUser[];
  readonly perSecond: number;
  readonly maxInFlight?: number;
}

const TOPICS = [
  'climate reporters in Berlin',
  'tech editors in London',
  'health journalists',
  'finance correspondents in New York',
  'sports writers in Madrid',
  'science podcasters',
];

interface SearchBody {
  mode?: string;
  degraded?: boolean;
}

export function startSteadyTraffic(o: SteadyTrafficOptions): SteadyTraffic {
  const records: SearchRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = o.maxInFlight ?? 50;
  let n = 0;
  let skipped = 0;

  async function one(): Promise<void> {
    const i = n++;
    const user = o.users[i % o.users.length]!;
    const q = `${TOPICS[i % TOPICS.length]} ${i}`;
    const serviceUrl = o.route?.(i) ?? o.serviceUrl;
    const sentAt = Date.now();
    let status = 0;
    let body: SearchBody = {};
    try {
      const res = await fetch(`${serviceUrl}/api/search?q=${encodeURIComponent(q)}&limit=5`, {
        headers: { 'x-user-id': user.id },
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      body = (await res.json()) as SearchBody;
    } catch {
      // status 0: refused or timed out, recorded as such
    }
    records.push({
      serviceUrl,
      userId: user.id,
      segment: user.segment,
      sentAt,
      receivedAt: Date.now(),
      status,
      mode: status === 200 ? body.mode : undefined,
      degraded: body.degraded === true,
    });
  }

  const timer = setInterval(
    () => {
      if (inFlight.size >= maxInFlight) {
        skipped++;
        return;
      }
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    Math.max(5, Math.round(1000 / o.perSecond)),
  );
  return {
    records,
    get skipped() {
      return skipped;
    },
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Records of requests sent in [from, to). */
export function sentBetween(
  records: readonly SearchRecord[],
  from: number,
  to = Infinity,
): SearchRecord[] {
  return records.filter((r) => r.sentAt >= from && r.sentAt < to);
}
