// Anthropic through its official SDK.
import Anthropic from '@anthropic-ai/sdk';
import type { ProviderConfig } from '../../shared/config.js';
import type { Completion, CompletionRequest, ProviderAdapter } from './provider.js';
import { SDK_MAX_RETRIES, SIMULATOR_API_KEY } from './sdk-settings.js';

export function createAnthropicProvider(
  config: ProviderConfig,
  timeoutMs: number,
): ProviderAdapter {
  const client = new Anthropic({
    apiKey: config.apiKey ?? SIMULATOR_API_KEY,
    baseURL: config.baseUrl,
    maxRetries: SDK_MAX_RETRIES,
    timeout: timeoutMs,
  });
  return {
    name: 'anthropic',
    model: config.model,
    async complete(req: CompletionRequest): Promise<Completion> {
      const res = await client.messages.create(
        {
          model: config.model,
          max_tokens: req.maxTokens,
          system: req.system,
          messages: [{ role: 'user', content: req.user }],
        },
        { signal: req.signal },
      );
      const text = res.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      const cacheRead = res.usage.cache_read_input_tokens ?? 0;
      const cacheWrite = res.usage.cache_creation_input_tokens ?? 0;
      return {
        text,
        usage: {
          // Anthropic counts cache reads and writes apart from input_tokens; we report all input.
          inputTokens: res.usage.input_tokens + cacheRead + cacheWrite,
          outputTokens: res.usage.output_tokens,
          cachedInputTokens: cacheRead,
        },
      };
    },
  };
}
