// One chat request, from validated body to wire response: decides (with the seeded RNG) whether
// this request gets the configured fault, waits as long as the latency model says, and answers
// in the provider's own format.
import type { ServerResponse } from 'node:http';
import { costOf } from '../shared/llm-prices.js';
import type { Logger } from '../shared/logger.js';
import type { EffectiveFaults, SimProvider } from './faults.js';
import { sendJson } from './http-io.js';
import type { Rng } from './rng.js';
import { extractQuery, promptChars, simulateAnswer, type AnswerKind } from './simulated-answer.js';
import {
  anthropicErrorBody,
  anthropicMessageBody,
  openAiCompletionBody,
  openAiErrorBody,
  type SimCompletion,
} from './wire-format.js';

export interface LatencyModel {
  readonly baseMs: number;
  readonly perOutputTokenMs: number;
  /** Uniform extra latency in [0, jitterMs). */
  readonly jitterMs: number;
}

export const DEFAULT_LATENCY: LatencyModel = Object.freeze({
  baseMs: 120,
  perOutputTokenMs: 4,
  jitterMs: 80,
});

export interface ChatContext {
  readonly provider: SimProvider;
  readonly faults: EffectiveFaults;
  readonly latency: LatencyModel;
  readonly rng: Rng;
  readonly logger: Logger | undefined;
  /** Resolves after ms, or early when the client goes away. */
  readonly wait: (ms: number, res: ServerResponse) => Promise<void>;
}

interface ChatBody {
  readonly model: string;
  readonly messages: readonly { role?: unknown; content?: unknown }[];
  readonly system?: unknown;
  readonly maxTokens: number | undefined;
}

export function requestId(provider: SimProvider, rng: Rng): string {
  return provider === 'anthropic' ? `req_011C${rng.hex(20)}` : `req_${rng.hex(32)}`;
}

export function sendProviderError(
  res: ServerResponse,
  provider: SimProvider,
  status: number,
  message: string,
  reqId: string,
): void {
  if (provider === 'anthropic') {
    sendJson(res, status, anthropicErrorBody(status, message, reqId), { 'request-id': reqId });
  } else {
    sendJson(res, status, openAiErrorBody(status, message), { 'x-request-id': reqId });
  }
}

/** Checks the fields the simulator needs; the reason goes back as a 400 in the provider's format. */
export function validateChatBody(provider: SimProvider, body: unknown): ChatBody | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return 'model: a non-empty string is required';
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return 'messages: a non-empty array is required';
  if (b.stream === true) return 'stream: streaming is not supported by the LLM simulator';
  const max = provider === 'anthropic' ? b.max_tokens : (b.max_completion_tokens ?? b.max_tokens);
  if (provider === 'anthropic' && max === undefined) return 'max_tokens: Field required';
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    return 'max_tokens: a positive integer is required';
  }
  const messages = b.messages as ChatBody['messages'];
  return { model: b.model, messages, system: b.system, maxTokens: max as number | undefined };
}

function completionBody(
  ctx: ChatContext,
  body: ChatBody,
  kind: AnswerKind,
): { json: object; outputTokens: number } {
  const answer = simulateAnswer({
    kind,
    query: extractQuery(body.messages),
    promptChars: promptChars(body.system, body.messages),
    maxTokens: body.maxTokens,
    rng: ctx.rng,
  });
  const completion: SimCompletion = {
    id: ctx.provider === 'anthropic' ? `msg_01${ctx.rng.hex(22)}` : `chatcmpl-${ctx.rng.hex(29)}`,
    model: body.model,
    text: answer.text,
    usage: answer.usage,
    truncated: answer.truncated,
    createdSeconds: Math.floor(Date.now() / 1000),
    costUsd: costOf('openrouter', body.model, { ...answer.usage, cachedInputTokens: 0 }),
  };
  const json =
    ctx.provider === 'anthropic'
      ? anthropicMessageBody(completion)
      : openAiCompletionBody(completion, ctx.provider);
  return { json, outputTokens: answer.usage.outputTokens };
}

export async function handleChat(
  ctx: ChatContext,
  body: ChatBody,
  res: ServerResponse,
): Promise<void> {
  const reqId = requestId(ctx.provider, ctx.rng);
  const only = ctx.faults.queryContains;
  const concerned = !only || extractQuery(body.messages).toLowerCase().includes(only);
  // The draw happens either way, so a seed gives the same sequence whatever the filter.
  const faulted = ctx.rng.next() < ctx.faults.errorRate && concerned;
  const jitter = ctx.rng.next() * ctx.latency.jitterMs;
  const mode = faulted ? ctx.faults.mode : undefined;
  if (faulted)
    ctx.logger?.debug(
      { provider: ctx.provider, mode, status: ctx.faults.status },
      'injecting a fault',
    );
  if (mode === 'timeout') {
    // Hold the request until the client gives up (or the simulator closes).
    await ctx.wait(Number.MAX_SAFE_INTEGER, res);
    return;
  }
  if (mode === 'error') {
    await ctx.wait(ctx.latency.baseMs + jitter + ctx.faults.latencyMs, res);
    const message = `Simulated ${ctx.faults.status} from the LLM simulator (fault injection)`;
    sendProviderError(res, ctx.provider, ctx.faults.status, message, reqId);
    return;
  }
  const kind: AnswerKind = mode ?? 'filters';
  const { json, outputTokens } = completionBody(ctx, body, kind);
  const latency =
    ctx.latency.baseMs +
    outputTokens * ctx.latency.perOutputTokenMs +
    jitter +
    ctx.faults.latencyMs;
  await ctx.wait(latency, res);
  const header = ctx.provider === 'anthropic' ? 'request-id' : 'x-request-id';
  sendJson(res, 200, json, {
    [header]: reqId,
    'x-llm-sim-latency-ms': String(Math.round(latency)),
  });
}
