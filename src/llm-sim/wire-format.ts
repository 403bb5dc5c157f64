// The bodies the real APIs send, close enough that the official SDKs parse them unchanged:
// OpenAI chat completions (and OpenRouter's variant with `usage.cost`), Anthropic messages, and
// each provider's error shape.
import type { SimProvider } from './faults.js';

export interface SimUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface SimCompletion {
  readonly id: string;
  readonly model: string;
  readonly text: string;
  readonly usage: SimUsage;
  /** True when the answer was cut at max_tokens. */
  readonly truncated: boolean;
  readonly createdSeconds: number;
  /** OpenRouter only: what the call cost, in USD. */
  readonly costUsd?: number;
}

export function openAiCompletionBody(c: SimCompletion, provider: SimProvider): object {
  const usage: Record<string, unknown> = {
    prompt_tokens: c.usage.inputTokens,
    completion_tokens: c.usage.outputTokens,
    total_tokens: c.usage.inputTokens + c.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
  if (provider === 'openrouter') usage.cost = c.costUsd ?? 0;
  return {
    id: c.id,
    object: 'chat.completion',
    created: c.createdSeconds,
    model: c.model,
    ...(provider === 'openrouter' ? { provider: 'LLM Simulator' } : {}),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: c.text, refusal: null },
        logprobs: null,
        finish_reason: c.truncated ? 'length' : 'stop',
      },
    ],
    usage,
    system_fingerprint: 'fp_llm_sim',
  };
}

export function anthropicMessageBody(c: SimCompletion): object {
  return {
    id: c.id,
    type: 'message',
    role: 'assistant',
    model: c.model,
    content: [{ type: 'text', text: c.text }],
    stop_reason: c.truncated ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: c.usage.inputTokens,
      output_tokens: c.usage.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

const OPENAI_ERRORS: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  413: { type: 'invalid_request_error', code: 'request_too_large' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

const ANTHROPIC_ERRORS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function openAiErrorBody(status: number, message: string): object {
  const known = OPENAI_ERRORS[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return { error: { message, type: known.type, param: null, code: known.code } };
}

export function anthropicErrorBody(status: number, message: string, requestId: string): object {
  const type = ANTHROPIC_ERRORS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: requestId };
}
