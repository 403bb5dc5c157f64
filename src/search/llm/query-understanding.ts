// Query understanding: a natural-language query in, validated search filters (or a reason why
// not) out. Tries the providers in configured order; the whole AI part of one search is bounded
// by AI_SEARCH_TIMEOUT, each attempt gets a share of what is left (half; the last one all of
// it), at most AI_SEARCH_MAX_CONCURRENT_REQUESTS calls are in flight, prompts that would not fit
// AI_SEARCH_MAX_TOKENS_PER_REQUEST are refused before any call, and answers are cached.
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { FilterCache } from './filter-cache.js';
import { createCostMeter, type CostMeter } from './pricing.js';
import {
  buildPrompt,
  estimateTokens,
  MIN_COMPLETION_TOKENS,
  planTokens,
  SYSTEM_PROMPT,
} from './prompt.js';
import { LlmFailureLog } from './failure-log.js';
import { attemptProvider, type Attempt, type AttemptContext } from './provider-attempt.js';
import type { ProviderAdapter } from './provider.js';
import { createProviders } from './providers.js';
import { Semaphore } from './semaphore.js';
import { startBudget, type TimeBudget } from './time-budget.js';
import type {
  LlmCallRecord,
  LlmTelemetry,
  QueryUnderstanding,
  UnderstandFailure,
  UnderstandResult,
} from './types.js';

export interface QueryUnderstandingOptions {
  readonly config: Config;
  readonly telemetry: LlmTelemetry;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The fallback chain; by default built from config.providers. */
  readonly providers?: readonly ProviderAdapter[];
  /** How long a search waits for a free LLM slot before it is `overloaded` (default 1000). */
  readonly queueWaitMs?: number;
  readonly cacheMaxEntries?: number;
}

const DEFAULT_QUEUE_WAIT_MS = 1000;
const DEFAULT_CACHE_ENTRIES = 5000;

export function createQueryUnderstanding(opts: QueryUnderstandingOptions): QueryUnderstanding {
  warnIfBudgetTooSmall(opts.config, opts.logger);
  return new FallbackChain(opts);
}

class FallbackChain implements QueryUnderstanding {
  private readonly clock: Clock;
  private readonly failureLog: LlmFailureLog;
  private readonly providers: readonly ProviderAdapter[];
  private readonly semaphore: Semaphore;
  private readonly meter: CostMeter;
  private readonly cache: FilterCache | undefined;
  private readonly queueWaitMs: number;

  constructor(private readonly opts: QueryUnderstandingOptions) {
    const { config } = opts;
    this.clock = opts.clock ?? systemClock;
    this.failureLog = new LlmFailureLog(this.clock, opts.logger);
    this.providers = opts.providers ?? createProviders(config);
    this.semaphore = new Semaphore(config.maxConcurrentRequests, this.clock);
    this.meter = createCostMeter({ enabled: config.costTrackingEnabled, logger: opts.logger });
    this.queueWaitMs = opts.queueWaitMs ?? DEFAULT_QUEUE_WAIT_MS;
    const ttlMs = config.cacheTtlSeconds * 1000;
    const maxEntries = opts.cacheMaxEntries ?? DEFAULT_CACHE_ENTRIES;
    this.cache = ttlMs > 0 ? new FilterCache({ ttlMs, maxEntries, clock: this.clock }) : undefined;
  }

  async understand(
    query: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<UnderstandResult> {
    const hit = this.cache?.get(query);
    if (this.cache) this.opts.telemetry.recordCache(hit !== undefined);
    if (hit) {
      return {
        ok: true,
        filters: hit,
        cached: true,
        provider: undefined,
        model: undefined,
        costUsd: 0,
        calls: [],
      };
    }
    const result = await this.run(query, options.signal);
    if (result.ok) this.cache?.set(query, result.filters);
    return result;
  }

  private async run(query: string, caller: AbortSignal | undefined): Promise<UnderstandResult> {
    const prompt = buildPrompt(query);
    const plan = planTokens(prompt, this.opts.config.maxTokensPerRequest);
    if (!plan.ok) return failure('prompt_too_large', plan.error, []);
    if (caller?.aborted)
      return failure('aborted', 'the search was cancelled before any LLM call', []);
    if (this.providers.length === 0)
      return failure('all_providers_failed', 'no LLM provider is configured', []);
    const search = startBudget(this.clock, this.opts.config.timeoutMs, caller);
    const ctx: AttemptContext = {
      clock: this.clock,
      meter: this.meter,
      prompt,
      maxTokens: plan.maxTokens,
      search,
      caller,
    };
    try {
      return await this.walkChain(ctx);
    } finally {
      search.dispose();
    }
  }

  private async walkChain(ctx: AttemptContext): Promise<UnderstandResult> {
    const calls: LlmCallRecord[] = [];
    for (const [i, provider] of this.providers.entries()) {
      const remaining = ctx.search.remainingMs();
      if (remaining <= 0 || ctx.search.signal.aborted) break;
      const shareMs = i === this.providers.length - 1 ? remaining : Math.ceil(remaining / 2);
      const attempt = await this.withSlot(Math.min(this.queueWaitMs, remaining), ctx.search, () =>
        attemptProvider(ctx, provider, shareMs),
      );
      if (attempt === 'stopped') break;
      if (attempt === 'overloaded') return failure('overloaded', this.overloadedText(), calls);
      calls.push(attempt.record);
      this.opts.telemetry.recordCall(attempt.record);
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
      this.logFailure(attempt, this.providers[i + 1]);
    }
    const reason = failureReason(calls, ctx.search, ctx.caller);
    return failure(reason, failureText(calls, ctx.search, this.opts.config.timeoutMs), calls);
  }

  /** Runs `fn` holding one of the AI_SEARCH_MAX_CONCURRENT_REQUESTS slots. */
  private async withSlot(
    waitMs: number,
    search: TimeBudget,
    fn: () => Promise<Attempt>,
  ): Promise<Attempt | 'overloaded' | 'stopped'> {
    if (!(await this.semaphore.acquire({ waitMs, signal: search.signal }))) {
      return search.signal.aborted ? 'stopped' : 'overloaded';
    }
    try {
      return await fn();
    } finally {
      this.semaphore.release();
    }
  }

  private overloadedText(): string {
    const slots = this.semaphore.permits;
    return `all ${slots} LLM call slots (AI_SEARCH_MAX_CONCURRENT_REQUESTS) stayed busy for the bounded wait`;
  }

  private logFailure(attempt: Attempt, next: ProviderAdapter | undefined): void {
    const { provider, model, errorType, durationMs } = attempt.record;
    this.failureLog.note({
      ...{ provider, model, errorType: errorType ?? 'unknown', durationMs },
      ...{ problem: attempt.problem, next: next?.name },
    });
  }
}

function warnIfBudgetTooSmall(config: Config, logger: Logger): void {
  const needed = estimateTokens(SYSTEM_PROMPT) + MIN_COMPLETION_TOKENS + 16;
  if (config.maxTokensPerRequest >= needed) return;
  logger.warn(
    `AI_SEARCH_MAX_TOKENS_PER_REQUEST=${config.maxTokensPerRequest} is below the ~${needed} tokens one ` +
      'query-understanding call needs: every AI search will fall back to keyword search',
  );
}

const totalCost = (calls: readonly LlmCallRecord[]): number =>
  calls.reduce((sum, c) => sum + c.costUsd, 0);

function failure(
  reason: UnderstandFailure,
  error: string,
  calls: readonly LlmCallRecord[],
): UnderstandResult {
  return { ok: false, reason, error, costUsd: totalCost(calls), calls };
}

function failureReason(
  calls: readonly LlmCallRecord[],
  search: TimeBudget,
  caller: AbortSignal | undefined,
): UnderstandFailure {
  if (caller?.aborted) return 'aborted';
  if (search.expired) return 'timeout';
  const all = (type: string) => calls.length > 0 && calls.every((c) => c.errorType === type);
  if (all('timeout')) return 'timeout';
  if (all('invalid_output')) return 'invalid_output';
  return 'all_providers_failed';
}

function failureText(
  calls: readonly LlmCallRecord[],
  search: TimeBudget,
  timeoutMs: number,
): string {
  const tried = calls.map((c) => `${c.provider}: ${c.errorType}`).join(', ');
  const spent = search.expired ? `AI_SEARCH_TIMEOUT of ${timeoutMs} ms spent; ` : '';
  return `${spent}every LLM provider failed (${tried || 'none tried'})`;
}
