// The daemon's only way to Prometheus: instant queries at the slot's timestamp, with a timeout on
// every call, and three outcomes kept apart: data (possibly none), a query error (Prometheus said
// no, or could not be reached) and garbage (an answer that is not what the API promises).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { Limiter } from './limiter.js';
import { judge, parseVector, transportError, type Judged } from './prometheus-response.js';
import { batchExpr, chunk, splitBatch } from './query-batch.js';
import type { QueryResult, Sample } from './types.js';

export type QueryFailureKind = 'error' | 'garbage';

/** A QueryResult whose failures also say which kind they are. */
export type QueryOutcome =
  | { readonly ok: true; readonly samples: readonly Sample[] }
  | { readonly ok: false; readonly kind: QueryFailureKind; readonly error: string };

export type KnownSeriesResult =
  | { readonly ok: true; readonly missing: readonly string[] }
  | { readonly ok: false; readonly kind: QueryFailureKind; readonly error: string };

export interface PrometheusClient {
  readonly url: string;
  /** Instant query evaluated at `atMs` (the slot time, not "now"). Never throws. */
  query(expr: string, atMs: number): Promise<QueryOutcome>;
  /** The same for many expressions, batched into few requests; one outcome per expression, in order. */
  queryMany(exprs: readonly string[], atMs: number): Promise<QueryOutcome[]>;
  /** Which of `names` Prometheus has never seen (no series at all). Never throws. */
  knownSeries(names: readonly string[]): Promise<KnownSeriesResult>;
  /** Closes kept-alive connections. */
  close(): void;
}

export interface PrometheusClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Requests in flight at once (and connections kept open); 8 by default. */
  readonly concurrency?: number;
  /** Expressions per batched query; 50 by default, 1 turns batching off. */
  readonly batchSize?: number;
}

/** The URL as it may be shown: user and password removed. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const shown = displayUrl(options.url);
  const concurrency = options.concurrency ?? 8;
  const limiter = new Limiter(concurrency);
  // Keep-alive: queries every interval must not open a connection each.
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: concurrency });
  const http: AxiosInstance = axios.create({
    baseURL: options.url.replace(/\/$/, ''),
    timeout: options.timeoutMs,
    httpAgent,
    httpsAgent,
    // Status codes and bodies are judged here, not by axios.
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
  });
  const where = (path: string) => `${shown}${path}`;

  /** POST (form-encoded, as Prometheus accepts) so long batched queries never hit URL limits. */
  async function call(path: string, params: [string, string][]): Promise<Judged> {
    try {
      const res = await limiter.run(() =>
        http.post<string>(path, new URLSearchParams(params).toString(), {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      );
      return judge(res.status, res.data, where(path));
    } catch (err) {
      return {
        ok: false,
        kind: 'error',
        error: transportError(err, where(path), options.timeoutMs),
      };
    }
  }

  async function query(expr: string, atMs: number): Promise<QueryOutcome> {
    const r = await call('/api/v1/query', [
      ['query', expr],
      ['time', (atMs / 1000).toFixed(3)],
    ]);
    if (!r.ok) return strip(r);
    return parseVector(r.data, where('/api/v1/query'));
  }

  async function queryBatch(exprs: readonly string[], atMs: number): Promise<QueryOutcome[]> {
    if (exprs.length === 1) return [await query(exprs[0]!, atMs)];
    const r = await call('/api/v1/query', [
      ['query', batchExpr(exprs)],
      ['time', (atMs / 1000).toFixed(3)],
    ]);
    if (!r.ok && r.refused) return Promise.all(exprs.map((e) => query(e, atMs)));
    if (!r.ok) return exprs.map(() => strip(r));
    const v = parseVector(r.data, where('/api/v1/query'));
    return v.ok ? splitBatch(v.samples, exprs.length) : exprs.map(() => v);
  }

  return {
    url: shown,
    query,
    async queryMany(exprs, atMs) {
      const size = options.batchSize ?? 50;
      const parts = await Promise.all(chunk(exprs, size).map((c) => queryBatch(c, atMs)));
      return parts.flat();
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
    async knownSeries(names) {
      const missing: string[] = [];
      for (const name of names) {
        const r = await call('/api/v1/series', [['match[]', `{__name__=${JSON.stringify(name)}}`]]);
        if (!r.ok) return strip(r);
        if (!Array.isArray(r.data)) {
          return {
            ok: false,
            kind: 'garbage',
            error: `${where('/api/v1/series')} answered data that is not a list`,
          };
        }
        if (r.data.length === 0) missing.push(name);
      }
      return { ok: true, missing };
    },
  };
}

function strip(r: Extract<Judged, { ok: false }>): Extract<QueryOutcome, { ok: false }> {
  return { ok: false, kind: r.kind, error: r.error };
}

/** A QueryOutcome is a QueryResult the evaluator understands. */
export function toQueryResult(o: QueryOutcome): QueryResult {
  return o.ok ? o : { ok: false, error: o.error };
}
