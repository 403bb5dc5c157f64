// The contract between the LLM layer (query understanding) and the search service.
import { z } from 'zod';
import type { ProviderName } from '../../shared/config.js';

/** The longest search term an answer may carry; prompt.ts tells the model, prepare-query.ts the query. */
export const MAX_TERM_CHARS = 64;

const term = z.string().trim().min(1).max(MAX_TERM_CHARS);
const list = z.array(term).max(10).default([]);

/** The structured filters the LLM must return; anything else is rejected as an AI failure. */
export const SearchFiltersSchema = z
  .object({
    keywords: list,
    beats: list,
    locations: list,
    outlets: list,
    roles: list,
    languages: list,
  })
  .strict();

export type SearchFilters = z.infer<typeof SearchFiltersSchema>;

/** Every value of LlmCallRecord.errorType, so the service can create the error series at zero. */
export const LLM_ERROR_TYPES = [
  'timeout',
  'rate_limited',
  'http_4xx',
  'http_5xx',
  'connection',
  'invalid_output',
  'aborted',
] as const;
export type LlmErrorType = (typeof LLM_ERROR_TYPES)[number];

/** One call to one provider (one attempt of the fallback chain). */
export interface LlmCallRecord {
  readonly provider: ProviderName;
  readonly model: string;
  readonly durationMs: number;
  /** Absent on success; a bounded, low-cardinality class otherwise (timeout, rate_limited, http_5xx, invalid_output, …). */
  readonly errorType?: LlmErrorType;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costUsd: number;
}

export type UnderstandFailure =
  | 'timeout'
  | 'all_providers_failed'
  | 'overloaded'
  | 'invalid_output'
  | 'aborted'
  /** The prompt would not fit AI_SEARCH_MAX_TOKENS_PER_REQUEST; no call was made. */
  | 'prompt_too_large'
  /** The query itself cannot yield valid filters (nothing searchable, SQL, a URL, instructions
   *  to a model); no call was made and nothing counts against the AI service. */
  | 'query_rejected'
  /** The same query failed within AI_SEARCH_NEGATIVE_CACHE_TTL; no call was made. */
  | 'recent_failure'
  /** The caller's CallBudget (its client's share of LLM calls) refused the chain; no call was made. */
  | 'client_share_exceeded';

export type UnderstandResult =
  | {
      readonly ok: true;
      readonly filters: SearchFilters;
      readonly cached: boolean;
      readonly provider: ProviderName | undefined;
      readonly model: string | undefined;
      readonly costUsd: number;
      readonly calls: readonly LlmCallRecord[];
    }
  | {
      readonly ok: false;
      readonly reason: UnderstandFailure;
      readonly error: string;
      readonly costUsd: number;
      readonly calls: readonly LlmCallRecord[];
    };

/** Where the LLM layer reports what it did; the service implements it with its metrics module. */
export interface LlmTelemetry {
  recordCall(call: LlmCallRecord): void;
  recordCache(hit: boolean): void;
  /** A search that shared another search's in-flight LLM call chain instead of making its own. */
  recordCoalesced(): void;
}

/**
 * What one caller may spend on LLM calls. Asked only when a search is about to start a fallback
 * chain of its own: a rejected query, a cache hit, a recent failure or a search that joins an
 * identical one in flight makes no call and reserves nothing.
 */
export interface CallBudget {
  /** Reserves what one chain may cost (a call per provider), or says why not. */
  reserve(): { readonly ok: true } | { readonly ok: false; readonly error: string };
  /** Once the chain has ended: the calls it really made. */
  settle(calls: number): void;
}

export interface UnderstandOptions {
  readonly signal?: AbortSignal;
  readonly budget?: CallBudget;
}

export interface QueryUnderstanding {
  /** Never throws: every failure is a result, so the caller can fall back to keyword search. */
  understand(query: string, options?: UnderstandOptions): Promise<UnderstandResult>;
}
