// One instant query to Prometheus, with "no data", "no reply" and "error" kept apart and a timeout.
import { secretScrubber } from '../../shared/prometheus-access.js';
import { describeNetworkError } from './network-error.js';

export type InstantResult =
  | {
      readonly ok: true;
      readonly samples: readonly { labels: Record<string, string>; value: number }[];
    }
  /**
   * `unreachable`: no usable answer (network failure, timeout, a server error or non-JSON page);
   * `error`: Prometheus answered and refused the query.
   */
  | { readonly ok: false; readonly kind: 'unreachable' | 'error'; readonly error: string };

/** Prometheus writes sample values as strings, infinities included: "+Inf", "-Inf", "NaN". */
export function parseSampleValue(raw: string): number {
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return raw.trim() === '' ? NaN : Number(raw);
}

export async function instantQuery(
  baseUrl: string,
  expr: string,
  timeoutMs = 10_000,
  headers: Readonly<Record<string, string>> = {},
): Promise<InstantResult> {
  const r = await queryOnce(baseUrl, expr, timeoutMs, headers);
  return r.ok ? r : { ...r, error: secretScrubber(headers)(r.error) };
}

async function queryOnce(
  baseUrl: string,
  expr: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>>,
): Promise<InstantResult> {
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query?${new URLSearchParams({ query: expr })}`;
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return {
        ok: false,
        kind: 'unreachable',
        error: `Prometheus at ${baseUrl} answered HTTP ${res.status} with a page that is not JSON (is this Prometheus?)`,
      };
    }
    if (body.status !== 'success') {
      const error = `Prometheus: ${body.error ?? `HTTP ${res.status}`}`;
      return { ok: false, kind: res.status >= 500 ? 'unreachable' : 'error', error };
    }
    if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) {
      return { ok: false, kind: 'error', error: `Prometheus: expected a vector for ${expr}` };
    }
    const samples = (
      body.data.result as { metric: Record<string, string>; value: [number, string] }[]
    ).map((r) => ({
      labels: r.metric,
      value: parseSampleValue(r.value[1]),
    }));
    return { ok: true, samples };
  } catch (e) {
    const why = describeNetworkError(e, url, timeoutMs);
    return { ok: false, kind: 'unreachable', error: `Prometheus did not answer: ${why}` };
  }
}
