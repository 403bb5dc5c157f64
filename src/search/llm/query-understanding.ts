// Query understanding: a natural-language query in, validated search filters (or a reason why
// not) out. Tries the providers in configured order; the whole AI part of one search is bounded
// by AI_SEARCH_TIMEOUT, each attempt gets a share of what is left (half, the last one all of
// it), at most AI_SEARCH_MAX_CONCURRENT_REQUESTS calls are in flight, prompts that would not fit
// AI_SEARCH_MAX_TOKENS_PER_REQUEST are refused before any call, and answers are cached.
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { FilterCache } from './filter-cache.js';
import { createCostMeter, type CostMeter } from './pricing.js';
import {
  buildPrompt,
  MIN_COMPLETION_TOKENS,
  planTokens,
  SYSTEM_PROMPT,
  estimateTokens,
  type Prompt,
} from './prompt.js';
import { classifyError, type ProviderAdapter } from './provider.js';
import { createProviders } from './providers.js';
import { Semaphore } from './semaphore.js';
import { raceAbort, startBudget, type TimeBudget } from './time-budget.js';
import type {
  LlmCallRecord,
  LlmTelemetry,
  QueryUnderstanding,
  SearchFilters,
  UnderstandFailure,
  UnderstandResult,
} from './types.js';
import { validateFilters } from './validate-filters.js';

export interface QueryUnderstandingOptions {
  readonly config: Config;
  readonly telemetry: LlmTelemetry;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The fallback chain; by default built from config.providers. */
  readonly providers?: readonly ProviderAdapter[];
  /** How long a search waits for a free LLM slot before it is `overloaded`. */
  readonly queueWaitMs?: number;
  readonly cacheMaxEntries?: number;
}

const DEFAULT_QUEUE_WAIT_MS = 1000;
const DEFAULT_CACHE_ENTRIES = 5000;

interface Attempt {
  readonly record: LlmCallRecord;
  readonly filters?: SearchFilters;
  readonly problem?: string;
}

interface Deps {
  readonly config: Config;
  readonly telemetry: LlmTelemetry;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly providers: readonly ProviderAdapter[];
  readonly semaphore: Semaphore;
  readonly meter: CostMeter;
  readonly queueWaitMs: number;
}

export function createQueryUnderstanding(opts: QueryUnderstandingOptions): QueryUnderstanding {
  const clock = opts.clock ?? systemClock;
  const { config, logger } = opts;
  const deps: Deps = {
    config,
    telemetry: opts.telemetry,
    logger,
    clock,
    providers: opts.providers ?? createProviders(config),
    semaphore: new Semaphore(config.maxConcurrentRequests, clock),
    meter: createCostMeter({ enabled: config.costTrackingEnabled, logger }),
    queueWaitMs: opts.queueWaitMs ?? DEFAULT_QUEUE_WAIT_MS,
  };
  const cache =
    config.cacheTtlSeconds > 0
      ? new FilterCache({
          ttlMs: config.cacheTtlSeconds * 1000,
          maxEntries: opts.cacheMaxEntries ?? DEFAULT_CACHE_ENTRIES,
          clock,
        })
      : undefined;
  warnIfBudgetTooSmall(config, logger);
  return {
    async understand(query, options = {}) {
      const hit = cache?.get(query);
      if (cache) opts.telemetry.recordCache(hit !== undefined);
      if (hit)
        return {
          ok: true,
          filters: hit,
          cached: true,
          provider: undefined,
          model: undefined,
          costUsd: 0,
          calls: [],
        };
      const result = await runChain(deps, query, options.signal);
      if (result.ok) cache?.set(query, result.filters);
      return result;
    },
  };
}

function warnIfBudgetTooSmall(config: Config, logger: Logger): void {
  const needed = estimateTokens(SYSTEM_PROMPT) + MIN_COMPLETION_TOKENS + 16;
  if (config.maxTokensPerRequest < needed) {
    logger.warn(
      `AI_SEARCH_MAX_TOKENS_PER_REQUEST=${config.maxTokensPerRequest} is below the ~${needed} tokens one query-understanding call needs: every AI search will fall back to keyword search`,
    );
  }
}

function failure(
  reason: UnderstandFailure,
  error: string,
  calls: readonly LlmCallRecord[],
): UnderstandResult {
  return { ok: false, reason, error, costUsd: totalCost(calls), calls };
}

const totalCost = (calls: readonly LlmCallRecord[]): number =>
  calls.reduce((sum, c) => sum + c.costUsd, 0);

async function runChain(
  deps: Deps,
  query: string,
  caller: AbortSignal | undefined,
): Promise<UnderstandResult> {
  const prompt = buildPrompt(query);
  const plan = planTokens(prompt, deps.config.maxTokensPerRequest);
  if (!plan.ok) return failure('prompt_too_large', plan.error, []);
  if (caller?.aborted)
    return failure('aborted', 'the search was cancelled before the LLM was called', []);
  if (deps.providers.length === 0)
    return failure('all_providers_failed', 'no LLM provider is configured', []);
  const budget = startBudget(deps.clock, deps.config.timeoutMs, caller);
  const calls: LlmCallRecord[] = [];
  try {
    for (const [i, provider] of deps.providers.entries()) {
      const remaining = budget.remainingMs();
      if (remaining <= 0 || budget.signal.aborted) break;
      const shareMs = i === deps.providers.length - 1 ? remaining : Math.ceil(remaining / 2);
      const waitMs = Math.min(deps.queueWaitMs, remaining);
      if (!(await deps.semaphore.acquire({ waitMs, signal: budget.signal }))) {
        if (budget.signal.aborted) break;
        const error = `all ${deps.semaphore.permits} LLM call slots stayed busy for ${waitMs} ms (AI_SEARCH_MAX_CONCURRENT_REQUESTS)`;
        return failure('overloaded', error, calls);
      }
      let attempt: Attempt;
      try {
        attempt = await callProvider(
          deps,
          provider,
          prompt,
          plan.maxTokens,
          shareMs,
          budget,
          caller,
        );
      } finally {
        deps.semaphore.release();
      }
      calls.push(attempt.record);
      deps.telemetry.recordCall(attempt.record);
      if (attempt.filters) {
        const { provider: name, model } = attempt.record;
        return {
          ok: true,
          filters: attempt.filters,
          cached: false,
          provider: name,
          model,
          costUsd: totalCost(calls),
          calls,
        };
      }
      logAttemptFailure(deps, attempt, deps.providers[i + 1]);
    }
    return failure(
      failureReason(calls, budget, caller),
      failureText(calls, budget, deps.config.timeoutMs),
      calls,
    );
  } finally {
    budget.dispose();
  }
}

async function callProvider(
  deps: Deps,
  provider: ProviderAdapter,
  prompt: Prompt,
  maxTokens: number,
  shareMs: number,
  search: TimeBudget,
  caller: AbortSignal | undefined,
): Promise<Attempt> {
  const attempt = startBudget(deps.clock, shareMs, search.signal);
  const start = deps.clock.now();
  const base = { provider: provider.name, model: provider.model };
  try {
    const request = { system: prompt.system, user: prompt.user, maxTokens, signal: attempt.signal };
    const completion = await raceAbort(provider.complete(request), attempt.signal);
    const costUsd = deps.meter(provider.name, provider.model, completion.usage);
    const { inputTokens, outputTokens, cachedInputTokens } = completion.usage;
    const check = validateFilters(completion.text);
    const record = {
      ...base,
      durationMs: deps.clock.now() - start,
      inputTokens,
      outputTokens,
      cachedInputTokens,
      costUsd,
    };
    if (check.ok) return { record, filters: check.filters };
    return { record: { ...record, errorType: 'invalid_output' }, problem: check.problem };
  } catch (err) {
    const errorType = caller?.aborted
      ? 'aborted'
      : attempt.expired || search.expired
        ? 'timeout'
        : classifyError(err);
    const problem =
      errorType === 'timeout' ? `no answer within ${shareMs} ms` : (err as Error).message;
    const record = {
      ...base,
      durationMs: deps.clock.now() - start,
      errorType,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      costUsd: 0,
    };
    return { record, problem };
  } finally {
    attempt.dispose();
  }
}

function failureReason(
  calls: readonly LlmCallRecord[],
  budget: TimeBudget,
  caller: AbortSignal | undefined,
): UnderstandFailure {
  if (caller?.aborted) return 'aborted';
  if (budget.expired) return 'timeout';
  if (calls.length > 0 && calls.every((c) => c.errorType === 'timeout')) return 'timeout';
  if (calls.length > 0 && calls.every((c) => c.errorType === 'invalid_output'))
    return 'invalid_output';
  return 'all_providers_failed';
}

function failureText(
  calls: readonly LlmCallRecord[],
  budget: TimeBudget,
  timeoutMs: number,
): string {
  const tried = calls.map((c) => `${c.provider}: ${c.errorType}`).join(', ');
  const timedOut = budget.expired ? `AI_SEARCH_TIMEOUT of ${timeoutMs} ms spent; ` : '';
  return `${timedOut}every LLM provider failed (${tried || 'none tried'})`;
}

function logAttemptFailure(deps: Deps, attempt: Attempt, next: ProviderAdapter | undefined): void {
  const { provider, model, errorType, durationMs } = attempt.record;
  const then = next
    ? `trying ${next.name} next`
    : 'no provider left, the search falls back to keyword search';
  deps.logger.warn(
    { provider, model, errorType, durationMs, problem: attempt.problem },
    `LLM call to ${provider} failed (${errorType}); ${then}`,
  );
}
