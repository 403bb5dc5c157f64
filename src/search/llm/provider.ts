// One small interface for every LLM provider: send the query-understanding prompt, get text and
// token usage back, or throw the SDK's error. The fallback chain, budgets and validation live
// above this, in query-understanding.ts, so an adapter is only the SDK call.
import type { ProviderName } from '../../shared/config.js';
import type { CallUsage } from './pricing.js';
import type { LlmErrorType } from './types.js';

export interface CompletionRequest {
  readonly system: string;
  /** The query, as data (JSON), never concatenated into the instructions. */
  readonly user: string;
  readonly maxTokens: number;
  /** Aborted when this attempt's share of the search's time budget is spent, or the caller gives up. */
  readonly signal: AbortSignal;
}

export interface Completion {
  readonly text: string;
  readonly usage: CallUsage;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  readonly model: string;
  /** Throws on any failure (the SDK's own error types); never retries by itself. */
  complete(request: CompletionRequest): Promise<Completion>;
}

/**
 * Why a call failed, for the `error_type` label: a closed, low-cardinality set. The caller
 * decides `timeout` and `aborted` from its own signals; this maps the SDK errors (both SDKs
 * share the same class names and `status`).
 */
export function classifyError(err: unknown): LlmErrorType {
  const e = err as
    { name?: unknown; status?: unknown; constructor?: { name?: string } } | undefined;
  const name = String(e?.constructor?.name ?? e?.name ?? '');
  if (name === 'APIConnectionTimeoutError' || name === 'TimeoutError') return 'timeout';
  if (name === 'APIUserAbortError' || name === 'AbortError') return 'aborted';
  if (typeof e?.status === 'number') {
    if (e.status === 408) return 'timeout';
    if (e.status === 429) return 'rate_limited';
    if (e.status >= 500) return 'http_5xx';
    if (e.status >= 400) return 'http_4xx';
  }
  return 'connection';
}
