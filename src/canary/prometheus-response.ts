// Reading Prometheus's HTTP API answers: status + body → data, or a failure a person can act on.
import { isAxiosError } from 'axios';
import type { QueryFailureKind, QueryOutcome } from './prometheus-client.js';
import type { Sample } from './types.js';

export type Judged =
  | { readonly ok: true; readonly data: unknown }
  | {
      readonly ok: false;
      readonly kind: QueryFailureKind;
      readonly error: string;
      /** Prometheus itself refused the query (status: error): another query may still work. */
      readonly refused?: boolean;
    };

/** Turns status + body into data or a failure a person can act on. */
export function judge(status: number, body: unknown, url: string): Judged {
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
      refused: true,
    };
  }
  if (status >= 400) return { ok: false, kind: 'error', error: `${url} answered HTTP ${status}` };
  return { ok: true, data: parsed.data };
}

export function parseVector(data: unknown, url: string): QueryOutcome {
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
export function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') return undefined;
  const s = pair[1];
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const n = Number(s);
  return s.trim() === '' || Number.isNaN(n) ? undefined : n;
}

export function transportError(err: unknown, url: string, timeoutMs: number): string {
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
