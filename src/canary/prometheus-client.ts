// The daemon's only way to Prometheus: instant queries at the slot's timestamp, with a timeout on
// every call, and three outcomes kept apart: data (possibly none), a query error (Prometheus said
// no, or could not be reached) and garbage (an answer that is not what the API promises).
import axios, { type AxiosInstance, isAxiosError } from 'axios';
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
  /** Which of `names` Prometheus has never seen (no series at all). Never throws. */
  knownSeries(names: readonly string[]): Promise<KnownSeriesResult>;
}

export interface PrometheusClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
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
  const http: AxiosInstance = axios.create({
    baseURL: options.url.replace(/\/$/, ''),
    timeout: options.timeoutMs,
    // Status codes and bodies are judged here, not by axios.
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
  });
  const where = (path: string) => `${shown}${path}`;

  async function get(path: string, params: Record<string, string | string[]>) {
    try {
      const res = await http.get<string>(path, {
        params,
        paramsSerializer: { indexes: null },
      });
      return judge(res.status, res.data, where(path));
    } catch (err) {
      return {
        ok: false as const,
        kind: 'error' as const,
        error: transportError(err, where(path), options.timeoutMs),
      };
    }
  }

  return {
    url: shown,
    async query(expr, atMs) {
      const r = await get('/api/v1/query', { query: expr, time: (atMs / 1000).toFixed(3) });
      if (!r.ok) return r;
      return parseVector(r.data, where('/api/v1/query'));
    },
    async knownSeries(names) {
      const missing: string[] = [];
      for (const name of names) {
        const r = await get('/api/v1/series', { 'match[]': `{__name__=${JSON.stringify(name)}}` });
        if (!r.ok) return r;
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

type Judged =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly kind: QueryFailureKind; readonly error: string };

/** Turns status + body into data or a failure a person can act on. */
function judge(status: number, body: unknown, url: string): Judged {
  const text = typeof body === 'string' ? body : '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    if (status >= 400)
      return {
        ok: false,
        kind: 'error',
        error: `${url} answered HTTP ${status}: ${snippet(text)}`,
      };
    return {
      ok: false,
      kind: 'garbage',
      error: `${url} answered HTTP ${status} with a body that is not JSON: ${snippet(text)} — is this URL really Prometheus?`,
    };
  }
  if (!isObject(parsed) || (parsed.status !== 'success' && parsed.status !== 'error')) {
    return {
      ok: false,
      kind: 'garbage',
      error: `${url} answered JSON without a Prometheus "status" (HTTP ${status}) — is this URL really Prometheus?`,
    };
  }
  if (parsed.status === 'error') {
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : 'unknown';
    const msg = typeof parsed.error === 'string' ? parsed.error : 'no message';
    return {
      ok: false,
      kind: 'error',
      error: `${url} refused the query (HTTP ${status}, ${type}): ${msg}`,
    };
  }
  if (status >= 400) return { ok: false, kind: 'error', error: `${url} answered HTTP ${status}` };
  return { ok: true, data: parsed.data };
}

function parseVector(data: unknown, url: string): QueryOutcome {
  if (!isObject(data) || typeof data.resultType !== 'string' || !Array.isArray(data.result)) {
    return {
      ok: false,
      kind: 'garbage',
      error: `${url} answered a "data" without resultType/result`,
    };
  }
  if (data.resultType === 'scalar') {
    const v = sampleValue(data.result);
    if (v === undefined)
      return { ok: false, kind: 'garbage', error: `${url} answered a malformed scalar` };
    return { ok: true, samples: [{ labels: {}, value: v }] };
  }
  if (data.resultType !== 'vector') {
    return {
      ok: false,
      kind: 'garbage',
      error: `${url} answered a ${data.resultType}, but an alert expression must give an instant vector`,
    };
  }
  const samples: Sample[] = [];
  for (const item of data.result) {
    if (!isObject(item) || !isObject(item.metric)) {
      return {
        ok: false,
        kind: 'garbage',
        error: `${url} answered a vector element without "metric"`,
      };
    }
    const value = sampleValue(item.value);
    if (value === undefined)
      return {
        ok: false,
        kind: 'garbage',
        error: `${url} answered a vector element without a [time, "value"] pair`,
      };
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(item.metric)) if (typeof v === 'string') labels[k] = v;
    samples.push({ labels, value });
  }
  return { ok: true, samples };
}

/** Prometheus writes values as strings ("NaN", "+Inf", "0.25"); `[ts, "v"]`. */
function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') return undefined;
  const s = pair[1];
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const n = Number(s);
  return s.trim() === '' || Number.isNaN(n) ? undefined : n;
}

function transportError(err: unknown, url: string, timeoutMs: number): string {
  if (isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') {
      return `${url} did not answer within ${timeoutMs} ms (--query-timeout)`;
    }
    if (err.code === 'ECONNREFUSED')
      return `${url} refused the connection — is Prometheus running there (--prometheus-url / PROMETHEUS_URL)?`;
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
      return `${url}: host not found — check --prometheus-url / PROMETHEUS_URL`;
    return `${url}: ${err.code ?? 'request failed'}: ${stripCredentials(err.message)}`;
  }
  return `${url}: ${stripCredentials(err instanceof Error ? err.message : String(err))}`;
}

function stripCredentials(message: string): string {
  return message.replace(/\/\/[^/@\s]+@/g, '//');
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 120)}…` : one || '(empty body)';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A QueryOutcome is a QueryResult the evaluator understands. */
export function toQueryResult(o: QueryOutcome): QueryResult {
  return o.ok ? o : { ok: false, error: o.error };
}
