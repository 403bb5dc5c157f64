// The daemon's only way to Prometheus: instant queries at the slot's timestamp, with a timeout on
// every call, and three outcomes kept apart: data (possibly none), a query error (Prometheus said
// no, or could not be reached) and garbage (an answer that is not what the API promises).
// A batch that fails because of one of its queries (refused, or too slow) is re-run one query per
// expression, all within the caller's time budget, so one bad or slow expression fails alone.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { secretScrubber } from '../../shared/prometheus-access.js';
import { Limiter } from './limiter.js';
import {
  isQueryFailure,
  judge,
  parseVector,
  transportFailure,
  type FailureCause,
  type Judged,
} from './prometheus-response.js';
import { batchExpr, chunk, splitBatch } from './query-batch.js';
import type { QueryResult, Sample } from '../types.js';

export type QueryFailureKind = 'error' | 'garbage';

/** A QueryResult whose failures also say which kind they are. */
export type QueryOutcome =
  | { readonly ok: true; readonly samples: readonly Sample[] }
  | {
      readonly ok: false;
      readonly kind: QueryFailureKind;
      readonly cause: FailureCause;
      readonly error: string;
    };

export type KnownSeriesResult =
  | {
      readonly ok: true;
      /** No series, and Prometheus has no working recording rule of that name: rules not loaded. */
      readonly missing: readonly string[];
      /**
       * No series yet, but Prometheus evaluates a recording rule of that name without error: an
       * expected absence (e.g. a baseline guarded until a day of history exists), not a fault.
       */
      readonly awaitingData: readonly string[];
    }
  | {
      readonly ok: false;
      readonly kind: QueryFailureKind;
      readonly cause: FailureCause;
      readonly error: string;
    };

export interface QueryManyOptions {
  /**
   * Time the whole call may take, retries included: each request's timeout is what is left of it
   * (at most the client's timeout), and a request that would start after it fails at once.
   */
  readonly budgetMs?: number;
}

export interface PrometheusClient {
  readonly url: string;
  /** Instant query evaluated at `atMs` (the slot time, not "now"). Never throws. */
  query(expr: string, atMs: number): Promise<QueryOutcome>;
  /** The same for many expressions, batched into few requests; one outcome per expression, in order. */
  queryMany(
    exprs: readonly string[],
    atMs: number,
    options?: QueryManyOptions,
  ): Promise<QueryOutcome[]>;
  /** Which of `names` Prometheus has no series for, and why (see KnownSeriesResult). Never throws. */
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
  /** Monotonic milliseconds, for time budgets (performance.now by default). */
  readonly now?: () => number;
  /** Sent with every request: tenant headers and auth (src/shared/prometheus-access.ts). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** When a call must be over: an absolute time on `now()`'s scale, or never. */
type Deadline = number;

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
    headers: { ...options.headers },
    httpAgent,
    httpsAgent,
    // Status codes and bodies are judged here, not by axios.
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
  });
  const where = (path: string) => `${shown}${path}`;
  const now = options.now ?? (() => performance.now());
  const scrub = secretScrubber(options.headers);

  /** POST (form-encoded, as Prometheus accepts) so long batched queries never hit URL limits. */
  async function call(
    path: string,
    params: [string, string][],
    deadline: Deadline = Infinity,
  ): Promise<Judged> {
    return limiter.run(async () => {
      // The timeout is set when the request starts, after any wait for a free connection.
      const left = Math.floor(deadline - now());
      const budgeted = left < options.timeoutMs;
      const timeout = {
        ms: budgeted ? Math.max(0, left) : options.timeoutMs,
        by: budgeted ? "the rest of the group's interval" : '--query-timeout',
      };
      if (timeout.ms <= 0) return outOfTime(where(path));
      try {
        const res = await http.post<string>(path, new URLSearchParams(params).toString(), {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          timeout: timeout.ms,
        });
        return scrubbed(judge(res.status, res.data, where(path)), scrub);
      } catch (err) {
        return scrubbed(transportFailure(err, where(path), timeout), scrub);
      }
    });
  }

  /**
   * Names of the recording rules Prometheus has loaded and evaluates without error. Empty when it
   * cannot say (older Prometheus, an error): then every absent series counts as missing.
   */
  async function healthyRecordingRules(): Promise<Set<string>> {
    try {
      const res = await limiter.run(() =>
        http.get<string>('/api/v1/rules', { params: { type: 'record' } }),
      );
      const r = judge(res.status, res.data, where('/api/v1/rules'));
      const groups = r.ok ? (r.data as { groups?: unknown }).groups : undefined;
      if (!Array.isArray(groups)) return new Set();
      const names = new Set<string>();
      for (const g of groups as { rules?: { name?: unknown; health?: unknown }[] }[]) {
        for (const rule of Array.isArray(g.rules) ? g.rules : []) {
          if (typeof rule.name === 'string' && rule.health !== 'err') names.add(rule.name);
        }
      }
      return names;
    } catch {
      return new Set();
    }
  }

  async function queryAt(expr: string, atMs: number, deadline: Deadline): Promise<QueryOutcome> {
    const r = await call(
      '/api/v1/query',
      [
        ['query', expr],
        ['time', (atMs / 1000).toFixed(3)],
      ],
      deadline,
    );
    if (!r.ok) return strip(r);
    return parseVector(r.data, where('/api/v1/query'));
  }

  async function queryBatch(
    exprs: readonly string[],
    atMs: number,
    deadline: Deadline,
  ): Promise<QueryOutcome[]> {
    if (exprs.length === 1) return [await queryAt(exprs[0]!, atMs, deadline)];
    const r = await call(
      '/api/v1/query',
      [
        ['query', batchExpr(exprs)],
        ['time', (atMs / 1000).toFixed(3)],
      ],
      deadline,
    );
    // Refused (one bad expression) or too slow (one heavy expression): each on its own, so the
    // failure stays with the expression that caused it.
    if (!r.ok && isQueryFailure(r.cause))
      return Promise.all(exprs.map((e) => queryAt(e, atMs, deadline)));
    if (!r.ok) return exprs.map(() => strip(r));
    const v = parseVector(r.data, where('/api/v1/query'));
    return v.ok ? splitBatch(v.samples, exprs.length) : exprs.map(() => v);
  }

  return {
    url: shown,
    query: (expr, atMs) => queryAt(expr, atMs, Infinity),
    async queryMany(exprs, atMs, o = {}) {
      const deadline = o.budgetMs === undefined ? Infinity : now() + o.budgetMs;
      const size = options.batchSize ?? 50;
      const parts = await Promise.all(chunk(exprs, size).map((c) => queryBatch(c, atMs, deadline)));
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
            cause: 'garbage',
            error: `${where('/api/v1/series')} answered data that is not a list`,
          };
        }
        if (r.data.length === 0) missing.push(name);
      }
      if (missing.length === 0) return { ok: true, missing, awaitingData: [] };
      const loaded = await healthyRecordingRules();
      return {
        ok: true,
        missing: missing.filter((n) => !loaded.has(n)),
        awaitingData: missing.filter((n) => loaded.has(n)),
      };
    },
  };
}

/** A failure's message with the credentials removed (a gateway may echo what it refused). */
function scrubbed(r: Judged, scrub: (text: string) => string): Judged {
  return r.ok ? r : { ...r, error: scrub(r.error) };
}

function strip(r: Extract<Judged, { ok: false }>): Extract<QueryOutcome, { ok: false }> {
  return { ok: false, kind: r.kind, cause: r.cause, error: r.error };
}

function outOfTime(url: string): Extract<Judged, { ok: false }> {
  return {
    ok: false,
    kind: 'error',
    cause: 'timeout',
    error: `${url}: not queried, the group's interval was spent waiting for slower queries`,
  };
}

/** A QueryOutcome is a QueryResult the evaluator understands. */
export function toQueryResult(o: QueryOutcome): QueryResult {
  return o.ok ? o : { ok: false, error: o.error };
}
