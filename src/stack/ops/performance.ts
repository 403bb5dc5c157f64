// test:performance: a short autocannon load on the search API, judged against the guide's API
// response-time target (p95 < 200 ms) and error-rate target (< 1%).
// autocannon is a dev dependency: a load generator has no place in the service's runtime tree, and
// this check runs from a checkout or CI against staging. It is loaded only when the check runs; a
// production tree without it gets a sentence saying so (exit 2), never a crash at start-up.
import type autocannon from 'autocannon';
import { probe, describe } from './http-probe.js';
import { judge, unreachable, type CheckResult } from './verdict.js';

export interface LoadOptions {
  readonly baseUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly query: string;
  /** Requests per second in total: below the service's per-client limit (100/s), so a 429 is a real finding. */
  readonly rate: number;
  /** Users u-000001 … u-<users> take turns, as real traffic does (per-user AI quotas). */
  readonly users: number;
  /** Called when the load starts, then about once a second (progress for a person watching). */
  readonly onStart?: () => void;
  readonly onTick?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly errors: number;
}

export interface LoadFigures {
  readonly requests: number;
  readonly errors: number;
  readonly latenciesMs: readonly number[];
}

export class LoadToolMissingError extends Error {
  constructor() {
    super(
      'the performance check needs autocannon, a dev dependency that this install does not have ' +
        '(npm ci --omit=dev / npm prune --omit=dev): run it from a full checkout (`npm ci`), or add it here with `npm install --no-save autocannon`',
    );
    this.name = 'LoadToolMissingError';
  }
}

export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function judgeLoad(f: LoadFigures): CheckResult[] {
  const sorted = [...f.latenciesMs].sort((a, b) => a - b);
  const p95 = percentile(sorted, 95);
  return [
    judge(
      'API response time p95 under load (all modes)',
      p95 === undefined ? undefined : p95 / 1000,
      '<',
      0.2,
      'seconds',
    ),
    judge(
      'API error rate under load',
      f.requests === 0 ? undefined : f.errors / f.requests,
      '<',
      0.01,
      'ratio',
    ),
  ];
}

/** One line of progress: "load 4/10 s: 200 requests, 0 errors". */
export function formatProgress(p: LoadProgress): string {
  return `load ${p.elapsedSeconds}/${p.durationSeconds} s: ${p.requests} requests, ${p.errors} errors`;
}

async function loadAutocannon(): Promise<typeof autocannon> {
  try {
    return (await import('autocannon')).default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND')
      throw new LoadToolMissingError();
    throw err;
  }
}

/**
 * The whole check: the service must answer /healthz first (else "no reply", exit 3, and no load
 * against nothing), then the load runs and is judged.
 */
export async function performanceChecks(o: LoadOptions): Promise<CheckResult[]> {
  const live = await probe(`${o.baseUrl}/healthz`);
  if (live.status === undefined) {
    return [unreachable('service answers before the load (/healthz)', describe(live), 'HTTP 200')];
  }
  return judgeLoad(await runLoad(o));
}

export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  const run = await loadAutocannon();
  o.onStart?.();
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  let elapsed = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = run(
      {
        url: `${o.baseUrl}/api/search?q=${encodeURIComponent(o.query)}&limit=10`,
        connections: o.connections,
        duration: o.durationSeconds,
        overallRate: o.rate,
        requests: [
          {
            setupRequest: (req) => {
              n = (n % o.users) + 1;
              return {
                ...req,
                headers: { ...req.headers, 'x-user-id': `u-${String(n).padStart(6, '0')}` },
              };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err as Error) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      if (status >= 400) errors += 1;
    });
    instance.on('tick', () => {
      elapsed += 1;
      o.onTick?.({
        elapsedSeconds: Math.min(elapsed, o.durationSeconds),
        durationSeconds: o.durationSeconds,
        requests: latencies.length,
        errors,
      });
    });
  });
  errors += result.errors + result.timeouts;
  return {
    requests: latencies.length + result.errors + result.timeouts,
    errors,
    latenciesMs: latencies,
  };
}
