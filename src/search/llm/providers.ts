// The provider chain from Config: one adapter per configured provider, in fallback order, and a
// description of it for the service's start-up log (which providers are real, which are the
// local simulator, and why). Never includes a key.
import type { Config, ProviderConfig } from '../../shared/config.js';
import { createAnthropicProvider } from './anthropic-provider.js';
import { createOpenAiProvider } from './openai-provider.js';
import type { ProviderAdapter } from './provider.js';

export function createProvider(provider: ProviderConfig, timeoutMs: number): ProviderAdapter {
  switch (provider.name) {
    case 'openai':
    case 'openrouter':
      return createOpenAiProvider(provider, timeoutMs);
    case 'anthropic':
      return createAnthropicProvider(provider, timeoutMs);
  }
}

/** The SDKs' own timeout is a safety net only: each attempt is cut by its share of AI_SEARCH_TIMEOUT. */
export function createProviders(config: Config): ProviderAdapter[] {
  return config.providers.map((p) => createProvider(p, config.timeoutMs));
}

export interface ProviderDescription {
  readonly provider: string;
  readonly model: string;
  readonly baseUrl: string;
  readonly simulated: boolean;
}

export function describeProviders(config: Config): {
  message: string;
  providers: ProviderDescription[];
} {
  const providers = config.providers.map((p) => ({
    provider: p.name,
    model: p.model,
    baseUrl: p.baseUrl,
    simulated: p.simulated,
  }));
  const parts = config.providers.map((p) =>
    p.simulated
      ? `${p.name} (${p.model}) → LLM simulator at ${p.baseUrl}, because ${p.name.toUpperCase()}_API_KEY is not set`
      : `${p.name} (${p.model}) → ${p.baseUrl}${p.apiKey ? '' : ' with no API key set'}`,
  );
  const allSimulated = config.providers.every((p) => p.simulated);
  const head = allSimulated
    ? `No provider key set: AI search talks to the local LLM simulator at ${config.llmSimUrl}. `
    : '';
  return { message: `${head}LLM providers in fallback order: ${parts.join('; ')}`, providers };
}
