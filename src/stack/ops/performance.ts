// test:performance: a short autocannon load on the search API, judged against the guide's API
// response-time target (p95 < 200 ms) and error-rate target (< 1%).
import autocannon from 'autocannon';
import { judge, type CheckResult } from './verdict.js';

export interface LoadOptions {
  readonly baseUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly query: string;
  /** Requests per second in total: below the service's per-client limit (100/s), so a 429 is a real finding. */
  readonly rate: number;
  /** Users u-000001 … u-<users> take turns, as real traffic does (per-user AI quotas). */
  readonly users: number;
}

export interface LoadFigures {
  readonly requests: number;
  readonly errors: number;
  readonly latenciesMs: readonly number[];
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

export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
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
  });
  errors += result.errors + result.timeouts;
  return {
    requests: latencies.length + result.errors + result.timeouts,
    errors,
    latenciesMs: latencies,
  };
}
