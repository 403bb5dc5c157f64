// Query understanding: a natural-language query in, validated search filters (or a reason why
// not) out. Tries the providers in configured order; the whole AI part of one search is bounded
// by AI_SEARCH_TIMEOUT, each attempt gets a share of what is left (half; the last one all of
// it), at most AI_SEARCH_MAX_CONCURRENT_REQUESTS calls are in flight, prompts that would not fit
// AI_SEARCH_MAX_TOKENS_PER_REQUEST are refused before any call, and answers are cached.
// What a query costs is bounded before the chain runs: a query that cannot yield valid filters is
// rejected without a call (prepare-query.ts), a query that failed recently is answered from the
// negative cache, and identical queries in flight share one chain (single-flight).
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { prepareQuery } from './prepare-query.js';
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
import { normalizeQuery, QueryCache } from './query-cache.js';
import { Semaphore } from './semaphore.js';
import { SingleFlight } from './single-flight.js';
import { startBudget, type TimeBudget } from './time-budget.js';
import type {
  LlmCallRecord,
  LlmTelemetry,
  CallBudget,
  QueryUnderstanding,
  SearchFilters,
  UnderstandFailure,
  UnderstandOptions,
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
/** Failed queries remembered at most; an attacker cycling more only evicts his own entries. */
export const NEGATIVE_CACHE_ENTRIES = 1000;
/** Failures that say something about the query and are worth not repeating within the TTL. */
const REMEMBERED_FAILURES: ReadonlySet<UnderstandFailure> = new Set([
  'timeout',
  'all_providers_failed',
  'invalid_output',
]);

interface RecentFailure {
  readonly reason: UnderstandFailure;
  readonly at: number;
}

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
  private readonly cache: QueryCache<SearchFilters> | undefined;
  private readonly failures: QueryCache<RecentFailure> | undefined;
  private readonly flights = new SingleFlight<UnderstandResult>();
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
    this.cache = ttlMs > 0 ? new QueryCache({ ttlMs, maxEntries, clock: this.clock }) : undefined;
    const negativeMs = config.negativeCacheTtlSeconds * 1000;
    this.failures =
      negativeMs > 0
        ? new QueryCache({
            ttlMs: negativeMs,
            maxEntries: NEGATIVE_CACHE_ENTRIES,
            clock: this.clock,
          })
        : undefined;
  }

  async understand(query: string, options: UnderstandOptions = {}): Promise<UnderstandResult> {
    const prepared = prepareQuery(query);
    if (!prepared.ok) return failure('query_rejected', prepared.problem, []);
    const q = prepared.query;
    const hit = this.cache?.get(q);
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
    const failed = this.failures?.get(q);
    if (failed) {
      const ago = Math.round((this.clock.now() - failed.at) / 1000);
      const ttl = this.opts.config.negativeCacheTtlSeconds;
      const text = `the same query failed ${ago} s ago (${failed.reason}); not retried within AI_SEARCH_NEGATIVE_CACHE_TTL (${ttl} s)`;
      return failure('recent_failure', text, []);
    }
    if (options.signal?.aborted) {
      return failure('aborted', 'the search was cancelled before any LLM call', []);
    }
    const key = normalizeQuery(q);
    const { budget } = options;
    if (budget && !this.flights.has(key)) {
      // Only a search that would start a chain of its own spends its client's share.
      const reserved = budget.reserve();
      if (!reserved.ok) return failure('client_share_exceeded', reserved.error, []);
    }
    const joined = await this.flights.join(
      key,
      options.signal,
      (signal) => this.runOnce(q, signal, budget),
      () => failure('aborted', 'the search was cancelled while its LLM call was in flight', []),
    );
    if (!joined.shared) return joined.value;
    // Another search paid for this chain: this one made no call and costs nothing.
    this.opts.telemetry.recordCoalesced();
    return { ...joined.value, costUsd: 0, calls: [] };
  }

  /** One fallback chain for a query, its outcome remembered for the searches that come next. */
  private async runOnce(
    query: string,
    signal: AbortSignal,
    budget: CallBudget | undefined,
  ): Promise<UnderstandResult> {
    let made = 0;
    try {
      const result = await this.run(query, signal);
      made = result.calls.length;
      if (result.ok) this.cache?.set(query, result.filters);
      else if (REMEMBERED_FAILURES.has(result.reason) && made > 0) {
        this.failures?.set(query, { reason: result.reason, at: this.clock.now() });
      }
      return result;
    } finally {
      // Settled when the calls have ended, even if the search that paid gave up waiting earlier.
      budget?.settle(made);
    }
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
