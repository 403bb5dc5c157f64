// One attempt of the fallback chain: one call to one provider within its share of the time
// budget, its answer validated, and the record telemetry gets, whatever happened.
import type { Clock } from '../../shared/clock.js';
import type { CostMeter } from './pricing.js';
import type { Prompt } from './prompt.js';
import { classifyError, type ProviderAdapter } from './provider.js';
import { raceAbort, startBudget, type TimeBudget } from './time-budget.js';
import type { LlmCallRecord, LlmErrorType, SearchFilters } from './types.js';
import { validateFilters } from './validate-filters.js';

export interface Attempt {
  readonly record: LlmCallRecord;
  /** Present when the answer passed validation. */
  readonly filters?: SearchFilters;
  /** Why the attempt failed, for the log (never shown to users). */
  readonly problem?: string;
}

export interface AttemptContext {
  readonly clock: Clock;
  readonly meter: CostMeter;
  readonly prompt: Prompt;
  readonly maxTokens: number;
  /** The whole search's budget; the attempt's own deadline sits inside it. */
  readonly search: TimeBudget;
  readonly caller: AbortSignal | undefined;
}

const NO_USAGE = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 };

export async function attemptProvider(
  ctx: AttemptContext,
  provider: ProviderAdapter,
  shareMs: number,
): Promise<Attempt> {
  const deadline = startBudget(ctx.clock, shareMs, ctx.search.signal);
  const start = ctx.clock.now();
  const base = { provider: provider.name, model: provider.model };
  try {
    const { system, user } = ctx.prompt;
    const request = { system, user, maxTokens: ctx.maxTokens, signal: deadline.signal };
    // The race keeps the budget even if an adapter ignored its signal.
    const completion = await raceAbort(provider.complete(request), deadline.signal);
    const { inputTokens, outputTokens, cachedInputTokens } = completion.usage;
    const costUsd = ctx.meter(provider.name, provider.model, completion.usage);
    const durationMs = ctx.clock.now() - start;
    const record = { ...base, durationMs, inputTokens, outputTokens, cachedInputTokens, costUsd };
    const check = validateFilters(completion.text);
    if (check.ok) return { record, filters: check.filters };
    // A rejected answer was still paid for: its tokens and cost stay on the record.
    return { record: { ...record, errorType: 'invalid_output' }, problem: check.problem };
  } catch (err) {
    const errorType = errorTypeOf(err, ctx, deadline);
    const problem =
      errorType === 'timeout' ? `no answer within ${shareMs} ms` : (err as Error).message;
    const record = { ...base, durationMs: ctx.clock.now() - start, errorType, ...NO_USAGE };
    return { record, problem };
  } finally {
    deadline.dispose();
  }
}

/** Our own signals say why a call was cut short; otherwise the SDK error does. */
function errorTypeOf(err: unknown, ctx: AttemptContext, deadline: TimeBudget): LlmErrorType {
  if (ctx.caller?.aborted) return 'aborted';
  if (deadline.expired || ctx.search.expired) return 'timeout';
  return classifyError(err);
}
