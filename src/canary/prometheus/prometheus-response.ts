// Reading Prometheus's HTTP API answers: status + body → data, or a failure a person can act on.
import { isAxiosError } from 'axios';
import type { QueryFailureKind, QueryOutcome } from './prometheus-client.js';
import type { Sample } from '../types.js';

/**
 * Why a request failed, decided from error codes and Prometheus's `errorType`, never from message
 * text. `refused` and `timeout` are about one query (another may still work: a batch that fails so
 * is re-run one expression at a time); the others are about Prometheus or the way to it.
 */
export type FailureCause = 'refused' | 'timeout' | 'unreachable' | 'closed' | 'http' | 'garbage';

export type Judged =
  | { readonly ok: true; readonly data: unknown }
  | {
      readonly ok: false;
      readonly kind: QueryFailureKind;
      readonly cause: FailureCause;
      readonly error: string;
    };

/** A failure that belongs to the query, not to Prometheus: retrying its parts alone can help. */
export function isQueryFailure(cause: FailureCause): boolean {
  return cause === 'refused' || cause === 'timeout';
}

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
        cause: 'http',
        error: `${url} answered HTTP ${status}: ${snippet(text)}`,
      };
    return {
      ok: false,
      kind: 'garbage',
      cause: 'garbage',
      error: `${url} answered HTTP ${status} with a body that is not JSON: ${snippet(text)} — is this URL really Prometheus?`,
    };
  }
  if (!isObject(parsed) || (parsed.status !== 'success' && parsed.status !== 'error')) {
    return {
      ok: false,
      kind: 'garbage',
      cause: 'garbage',
      error: `${url} answered JSON without a Prometheus "status" (HTTP ${status}) — is this URL really Prometheus?`,
    };
  }
  if (parsed.status === 'error') {
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : 'unknown';
    const msg = typeof parsed.error === 'string' ? parsed.error : 'no message';
    // errorType "timeout": Prometheus's own --query.timeout stopped the evaluation.
    const cause = type === 'timeout' ? 'timeout' : 'refused';
    return {
      ok: false,
      kind: 'error',
      cause,
      error: `${url} refused the query (HTTP ${status}, ${type}): ${msg}`,
    };
  }
  if (status >= 400)
    return { ok: false, kind: 'error', cause: 'http', error: `${url} answered HTTP ${status}` };
  return { ok: true, data: parsed.data };
}

export function parseVector(data: unknown, url: string): QueryOutcome {
  if (!isObject(data) || typeof data.resultType !== 'string' || !Array.isArray(data.result)) {
    return {
      ok: false,
      kind: 'garbage',
      cause: 'garbage',
      error: `${url} answered a "data" without resultType/result`,
    };
  }
  if (data.resultType === 'scalar') {
    const v = sampleValue(data.result);
    if (v === undefined)
      return {
        ok: false,
        kind: 'garbage',
        cause: 'garbage',
        error: `${url} answered a malformed scalar`,
      };
    return { ok: true, samples: [{ labels: {}, value: v }] };
  }
  if (data.resultType !== 'vector') {
    return {
      ok: false,
      kind: 'garbage',
      cause: 'garbage',
      error: `${url} answered a ${data.resultType}, but an alert expression must give an instant vector`,
    };
  }
  const samples: Sample[] = [];
  for (const item of data.result) {
    if (!isObject(item) || !isObject(item.metric)) {
      return {
        ok: false,
        kind: 'garbage',
        cause: 'garbage',
        error: `${url} answered a vector element without "metric"`,
      };
    }
    const value = sampleValue(item.value);
    if (value === undefined)
      return {
        ok: false,
        kind: 'garbage',
        cause: 'garbage',
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

const CAUSE_BY_CODE: Readonly<Record<string, FailureCause>> = {
  ECONNABORTED: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  // Node's "socket hang up" carries ECONNRESET: Prometheus (or a proxy) dropped the connection,
  // typically while stopping, or a kept-alive socket it had already closed.
  ECONNRESET: 'closed',
  EPIPE: 'closed',
};

/** A failed request (no HTTP answer) as a sentence naming what happened in plain words. */
export function transportError(err: unknown, url: string, timeoutMs: number): string {
  return transportFailure(err, url, { ms: timeoutMs, by: '--query-timeout' }).error;
}

/** A failed request (no HTTP answer) as a cause and a sentence naming what happened in plain words. */
export function transportFailure(
  err: unknown,
  url: string,
  timeout: { ms: number; by: string },
): Extract<Judged, { ok: false }> {
  const code = errorCode(err);
  const cause: FailureCause =
    (code === undefined ? undefined : CAUSE_BY_CODE[code]) ?? 'unreachable';
  const fail = (error: string) => ({ ok: false, kind: 'error', cause, error }) as const;
  switch (code) {
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return fail(`${url} did not answer within ${timeout.ms} ms (${timeout.by})`);
    case 'ECONNREFUSED':
      return fail(
        `${url} refused the connection — is Prometheus running there (--prometheus-url / PROMETHEUS_URL)?`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`${url}: host not found — check --prometheus-url / PROMETHEUS_URL`);
    case 'ECONNRESET':
    case 'EPIPE':
      return fail(`${url}: Prometheus closed the connection before answering (${code})`);
    default: {
      const message = stripCredentials(err instanceof Error ? err.message : String(err));
      return fail(`${url}: ${code ?? 'request failed'}: ${message}`);
    }
  }
}

/** The system error code of a failed request, looking through axios's wrapper. */
function errorCode(err: unknown): string | undefined {
  if (isAxiosError(err) && err.code !== undefined) return err.code;
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code;
  if (typeof code === 'string') return code;
  const inner = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof inner === 'string' ? inner : undefined;
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
