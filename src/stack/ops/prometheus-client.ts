// The operational checks' instant queries go through the daemon's Prometheus client: one reader of
// Prometheus's answers (values such as "+Inf" and "NaN", garbage, refusals) and one set of failure
// causes for the whole project. Here its failures are only sorted into the checks' two kinds.
import {
  createPrometheusClient,
  type QueryOutcome,
} from '../../canary/prometheus/prometheus-client.js';

export type InstantResult =
  | {
      readonly ok: true;
      readonly samples: readonly { labels: Readonly<Record<string, string>>; value: number }[];
    }
  /**
   * `unreachable`: no usable answer (network failure, timeout, a server error or a page that is
   * not Prometheus's); `error`: Prometheus answered and refused the query.
   */
  | { readonly ok: false; readonly kind: 'unreachable' | 'error'; readonly error: string };

export interface InstantQuerier {
  /** The expression evaluated now. Never throws. */
  query(expr: string): Promise<InstantResult>;
  close(): void;
}

/** A client for one run of checks: `concurrency` queries in flight at once. */
export function openPrometheus(
  baseUrl: string,
  o: {
    timeoutMs?: number;
    concurrency?: number;
    now?: () => number;
    /** Tenant headers and auth (src/shared/prometheus-access.ts); the client scrubs its errors. */
    headers?: Readonly<Record<string, string>>;
  } = {},
): InstantQuerier {
  const client = createPrometheusClient({
    url: baseUrl,
    timeoutMs: o.timeoutMs ?? 10_000,
    concurrency: o.concurrency ?? 4,
    batchSize: 1,
    headers: o.headers,
  });
  const now = o.now ?? Date.now;
  return {
    query: async (expr) => toInstantResult(await client.query(expr, now())),
    close: () => client.close(),
  };
}

export function toInstantResult(r: QueryOutcome): InstantResult {
  if (r.ok) return r;
  if (r.cause === 'refused') return { ok: false, kind: 'error', error: r.error };
  return { ok: false, kind: 'unreachable', error: `Prometheus did not answer: ${r.error}` };
}
