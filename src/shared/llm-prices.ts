// What an LLM call costs. One dated price table per provider, in USD per 1M tokens, copied from
// the providers' public price pages on the `asOf` date:
//   OpenAI      https://openai.com/api/pricing
//   Anthropic   https://www.anthropic.com/pricing#api  (cached input = "cache read" price)
//   OpenRouter  https://openrouter.ai/models  (passes the upstream provider's price through; its
//               own reported `usage.cost` wins whenever the response carries one)
// Prices change: update the table and its date together.
// It lives in src/shared because two programs read it: the search service (what its calls cost)
// and the LLM simulator (the `usage.cost` it reports as OpenRouter), which must not depend on the
// service.
import type { ProviderName } from './config.js';

export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok: number;
}

export interface PriceTable {
  readonly asOf: string;
  readonly models: Readonly<Record<string, ModelPrice>>;
}

const price = (input: number, output: number, cached: number): ModelPrice =>
  Object.freeze({ inputPerMTok: input, outputPerMTok: output, cachedInputPerMTok: cached });

export const PRICE_TABLES: Readonly<Record<ProviderName, PriceTable>> = Object.freeze({
  openai: {
    asOf: '2025-06-01',
    models: {
      'gpt-4o-mini': price(0.15, 0.6, 0.075),
      'gpt-4o': price(2.5, 10, 1.25),
      'gpt-4.1': price(2, 8, 0.5),
      'gpt-4.1-mini': price(0.4, 1.6, 0.1),
      'gpt-4.1-nano': price(0.1, 0.4, 0.025),
    },
  },
  openrouter: {
    asOf: '2025-06-01',
    models: {
      'openai/gpt-4o-mini': price(0.15, 0.6, 0.075),
      'openai/gpt-4o': price(2.5, 10, 1.25),
      'openai/gpt-4.1-mini': price(0.4, 1.6, 0.1),
      'anthropic/claude-3.5-haiku': price(0.8, 4, 0.08),
      'anthropic/claude-3.5-sonnet': price(3, 15, 0.3),
    },
  },
  anthropic: {
    asOf: '2025-06-01',
    models: {
      'claude-3-5-haiku-latest': price(0.8, 4, 0.08),
      'claude-3-5-haiku': price(0.8, 4, 0.08),
      'claude-3-haiku': price(0.25, 1.25, 0.03),
      'claude-3-5-sonnet-latest': price(3, 15, 0.3),
      'claude-3-7-sonnet-latest': price(3, 15, 0.3),
      'claude-sonnet-4-0': price(3, 15, 0.3),
      'claude-sonnet-4': price(3, 15, 0.3),
    },
  },
});

export interface CallUsage {
  /** All input tokens, cached ones included. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache. */
  readonly cachedInputTokens: number;
  /** What the provider itself says the call cost (OpenRouter's `usage.cost`). */
  readonly reportedCostUsd?: number;
}

/** A model's price; dated snapshots ("gpt-4o-mini-2024-07-18", "claude-3-5-haiku-20241022") use their family's price. */
export function priceOf(provider: ProviderName, model: string): ModelPrice | undefined {
  const models = PRICE_TABLES[provider].models;
  const undated = model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
  return models[model] ?? models[undated];
}

/** The call's cost in USD; the provider's own figure when it reports one, 0 for an unknown model. */
export function costOf(provider: ProviderName, model: string, usage: CallUsage): number {
  if (usage.reportedCostUsd !== undefined && Number.isFinite(usage.reportedCostUsd)) {
    return Math.max(0, usage.reportedCostUsd);
  }
  const p = priceOf(provider, model);
  if (!p) return 0;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  return (
    (uncached * p.inputPerMTok +
      cached * p.cachedInputPerMTok +
      usage.outputTokens * p.outputPerMTok) /
    1_000_000
  );
}
