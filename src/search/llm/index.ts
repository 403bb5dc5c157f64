// The LLM layer's public surface, for the search service.
export { createQueryUnderstanding, type QueryUnderstandingOptions } from './query-understanding.js';
export { createProviders, describeProviders, type ProviderDescription } from './providers.js';
export type { ProviderAdapter, Completion, CompletionRequest } from './provider.js';
export {
  costOf,
  createCostMeter,
  priceOf,
  PRICE_TABLES,
  type CallUsage,
  type CostMeter,
} from './pricing.js';
export { normalizeQuery } from './query-cache.js';
export * from './types.js';
