// One HTTP request for an operational check: status, time taken, parsed JSON body when any.
import { describeNetworkError } from './network-error.js';

export interface ProbeResult {
  readonly ok: boolean;
  readonly status: number | undefined;
  readonly ms: number;
  readonly body: unknown;
  /** Why there was no HTTP answer (refused, timed out, …), in plain words. */
  readonly error: string | undefined;
}

export async function probe(
  url: string,
  init: RequestInit = {},
  timeoutMs = 10_000,
): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return {
      ok: res.ok,
      status: res.status,
      ms: performance.now() - started,
      body,
      error: undefined,
    };
  } catch (e) {
    const error = describeNetworkError(e, url, timeoutMs);
    return {
      ok: false,
      status: undefined,
      ms: performance.now() - started,
      body: undefined,
      error,
    };
  }
}

export function describe(r: ProbeResult): string {
  return r.status === undefined
    ? (r.error ?? 'no answer')
    : `HTTP ${r.status} in ${Math.round(r.ms)} ms`;
}
