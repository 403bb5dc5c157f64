// What an LLM call costs the service: the shared price table (src/shared/llm-prices.ts) behind a
// meter that can be turned off and that warns about models without a price.
import type { ProviderName } from '../../shared/config.js';
import { costOf, priceOf, type CallUsage } from '../../shared/llm-prices.js';
import type { Logger } from '../../shared/logger.js';

export {
  costOf,
  priceOf,
  PRICE_TABLES,
  type CallUsage,
  type ModelPrice,
  type PriceTable,
} from '../../shared/llm-prices.js';

export type CostMeter = (provider: ProviderName, model: string, usage: CallUsage) => number;

/**
 * costOf as the service uses it: 0 when cost tracking is off, and a WARN (once per model) when a
 * model has no price, because a cost of 0 that nobody notices would blind the cost alerts.
 */
export function createCostMeter(opts: { enabled: boolean; logger: Logger }): CostMeter {
  const warned = new Set<string>();
  return (provider, model, usage) => {
    if (!opts.enabled) return 0;
    const hasReported = usage.reportedCostUsd !== undefined;
    if (!hasReported && !priceOf(provider, model) && !warned.has(`${provider}/${model}`)) {
      warned.add(`${provider}/${model}`);
      opts.logger.warn(
        { provider, model },
        `No price for ${provider} model "${model}" in src/shared/llm-prices.ts: its calls are counted as costing $0 until the table is updated`,
      );
    }
    return costOf(provider, model, usage);
  };
}
