// OpenAI, and OpenRouter through the same SDK (OpenRouter speaks OpenAI's protocol at its own
// base URL, and reports what each call cost in `usage.cost`).
import OpenAI from 'openai';
import type { ProviderConfig } from '../../shared/config.js';
import type { Completion, CompletionRequest, ProviderAdapter } from './provider.js';
import { SDK_MAX_RETRIES, SIMULATOR_API_KEY } from './sdk-settings.js';

/** OpenRouter's attribution headers; the LLM simulator also uses them to tell OpenRouter calls apart. */
export const OPENROUTER_HEADERS = Object.freeze({
  'HTTP-Referer': 'https://github.com/ai-search-canary',
  'X-Title': 'ai-search-canary',
});

interface OpenRouterUsage {
  cost?: unknown;
}

export function createOpenAiProvider(config: ProviderConfig, timeoutMs: number): ProviderAdapter {
  if (config.name === 'anthropic')
    throw new Error('createOpenAiProvider: anthropic has its own adapter');
  const openRouter = config.name === 'openrouter';
  const client = new OpenAI({
    apiKey: config.apiKey ?? SIMULATOR_API_KEY,
    baseURL: config.baseUrl,
    maxRetries: SDK_MAX_RETRIES,
    timeout: timeoutMs,
    // OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment belong to OpenAI, never to OpenRouter.
    ...(openRouter
      ? { defaultHeaders: OPENROUTER_HEADERS, organization: null, project: null }
      : {}),
  });
  return {
    name: config.name,
    model: config.model,
    async complete(req: CompletionRequest): Promise<Completion> {
      const limit = openRouter
        ? { max_tokens: req.maxTokens }
        : { max_completion_tokens: req.maxTokens };
      const res = await client.chat.completions.create(
        {
          model: config.model,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.user },
          ],
          ...limit,
          temperature: 0,
          response_format: { type: 'json_object' },
        },
        { signal: req.signal },
      );
      const usage = res.usage;
      const cost = (usage as OpenRouterUsage | undefined)?.cost;
      return {
        text: res.choices[0]?.message.content ?? '',
        usage: {
          inputTokens: usage?.prompt_tokens ?? 0,
          outputTokens: usage?.completion_tokens ?? 0,
          cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
          ...(openRouter && typeof cost === 'number' ? { reportedCostUsd: cost } : {}),
        },
      };
    },
  };
}
