// The LLM layer with the official SDKs, over real HTTP, against the LLM simulator.
import type { DestinationStream } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/server.js';
import { costOf } from '../../src/search/llm/pricing.js';
import { createQueryUnderstanding } from '../../src/search/llm/query-understanding.js';
import type { LlmCallRecord } from '../../src/search/llm/types.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';

let sim: LlmSimulator;
const silent: DestinationStream = { write: () => {} };
const logger = createLogger({ name: 'test', level: 'silent', destination: silent });

beforeAll(async () => {
  sim = await startLlmSimulator({
    seed: 2026,
    latency: { baseMs: 2, perOutputTokenMs: 0, jitterMs: 3 },
  });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  sim.setFaults({ errorRate: 0 });
  sim.resetStats();
});

function understanding(env: Record<string, string> = {}, queueWaitMs?: number) {
  const calls: LlmCallRecord[] = [];
  const cache: boolean[] = [];
  const coalesced: number[] = [];
  const config = loadConfig({ LLM_SIM_URL: sim.url, AI_SEARCH_CACHE_TTL: '0', ...env });
  const qu = createQueryUnderstanding({
    config,
    logger,
    telemetry: {
      recordCall: (c) => calls.push(c),
      recordCache: (hit) => cache.push(hit),
      recordCoalesced: () => coalesced.push(1),
    },
    ...(queueWaitMs !== undefined ? { queueWaitMs } : {}),
  });
  return { qu, calls, cache, coalesced };
}

describe('each provider through its official SDK', () => {
  it.each(['openai', 'openrouter', 'anthropic'] as const)(
    '%s answers with validated filters',
    async (provider) => {
      const { qu, calls } = understanding({ AI_SEARCH_PROVIDERS: provider });
      const r = await qu.understand('climate reporters in Paris');
      expect(r).toMatchObject({
        ok: true,
        provider,
        filters: { beats: ['climate'], locations: ['Paris'], roles: ['reporter'] },
      });
      expect(sim.stats().requests[provider]).toBe(1);
      expect(sim.stats().totalRequests).toBe(1);
      const call = calls[0];
      expect(call?.inputTokens).toBeGreaterThan(100);
      expect(call?.outputTokens).toBeGreaterThan(10);
      expect(r.costUsd).toBeCloseTo(
        costOf(provider, call?.model ?? '', { ...call!, cachedInputTokens: 0 }),
        12,
      );
      expect(r.costUsd).toBeGreaterThan(0);
    },
  );
});

describe('fallback chain', () => {
  it.each([
    [503, 'http_5xx'],
    [429, 'rate_limited'],
    [400, 'http_4xx'],
  ] as const)(
    'moves on to the next provider when the first answers %i (%s)',
    async (status, errorType) => {
      sim.setFaults({ providers: { openai: { errorRate: 1, status } } });
      const { qu, calls } = understanding();
      const r = await qu.understand('tech editors');
      expect(r).toMatchObject({ ok: true, provider: 'openrouter' });
      expect(calls.map((c) => [c.provider, c.errorType])).toEqual([
        ['openai', errorType],
        ['openrouter', undefined],
      ]);
      expect(sim.stats().requests).toEqual({ openai: 1, openrouter: 1, anthropic: 0 });
    },
  );

  it('reaches Anthropic when both OpenAI-protocol providers fail (529 overloaded)', async () => {
    sim.setFaults({ errorRate: 1, status: 529, providers: { anthropic: { errorRate: 0 } } });
    const { qu } = understanding();
    expect(await qu.understand('tech editors')).toMatchObject({ ok: true, provider: 'anthropic' });
  });

  it('fails with all_providers_failed when every provider fails, with no SDK retries', async () => {
    sim.setFaults({ errorRate: 1, status: 500 });
    const { qu, calls } = understanding();
    expect(await qu.understand('tech editors')).toMatchObject({
      ok: false,
      reason: 'all_providers_failed',
    });
    expect(calls).toHaveLength(3);
    expect(sim.stats().totalRequests).toBe(3);
  });

  it.each(['garbage', 'injection'] as const)(
    'rejects %s answers as invalid_output',
    async (mode) => {
      sim.setFaults({ errorRate: 1, mode });
      const { qu, calls } = understanding({ AI_SEARCH_PROVIDERS: 'openai,anthropic' });
      const r = await qu.understand('tech editors');
      expect(r).toMatchObject({ ok: false, reason: 'invalid_output' });
      expect(calls.map((c) => c.errorType)).toEqual(['invalid_output', 'invalid_output']);
      expect(r.costUsd).toBeGreaterThan(0); // a rejected answer was still paid for
    },
  );
});

describe('budgets', () => {
  it('gives up with reason timeout within AI_SEARCH_TIMEOUT when the providers hang', async () => {
    sim.setFaults({ errorRate: 1, mode: 'timeout' });
    const { qu, calls } = understanding({ AI_SEARCH_TIMEOUT: '400' });
    const started = Date.now();
    const r = await qu.understand('tech editors');
    const elapsed = Date.now() - started;
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(calls.every((c) => c.errorType === 'timeout')).toBe(true);
    // Generous slack for a busy machine; without the budget this would hang for minutes.
    expect(elapsed).toBeLessThan(400 + 1500);
  });

  it('keeps at most AI_SEARCH_MAX_CONCURRENT_REQUESTS calls in flight at the provider', async () => {
    sim.setFaults({ errorRate: 0, latencyMs: 100 });
    const { qu } = understanding(
      { AI_SEARCH_MAX_CONCURRENT_REQUESTS: '3', AI_SEARCH_PROVIDERS: 'openai' },
      10_000,
    );
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => qu.understand(`tech editors ${i}`)),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sim.stats().totalRequests).toBe(12);
    expect(sim.stats().maxInFlight).toBe(3);
  });

  it('sheds searches as overloaded when the slots stay busy past the bounded wait', async () => {
    sim.setFaults({ errorRate: 0, latencyMs: 500 });
    const { qu } = understanding(
      { AI_SEARCH_MAX_CONCURRENT_REQUESTS: '1', AI_SEARCH_PROVIDERS: 'openai' },
      50,
    );
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => qu.understand(`q ${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'overloaded')).toHaveLength(3);
    expect(sim.stats().totalRequests).toBe(1);
  });
});

describe('cache', () => {
  it('answers a repeated query without calling the provider, at no cost', async () => {
    const { qu, cache } = understanding({ AI_SEARCH_CACHE_TTL: '60' });
    const first = await qu.understand('Health reporters in Berlin');
    const second = await qu.understand('health  reporters in berlin');
    expect(first).toMatchObject({ ok: true, cached: false });
    expect(second).toMatchObject({ ok: true, cached: true, costUsd: 0, calls: [] });
    expect(sim.stats().totalRequests).toBe(1);
    expect(cache).toEqual([false, true]);
  });
});

describe('injected error rate', () => {
  it('turns errorRate 0.2 into about 20% failed calls (seeded, so the figure repeats)', async () => {
    sim.setFaults({ errorRate: 0.2, status: 500 });
    const { qu, calls } = understanding({ AI_SEARCH_PROVIDERS: 'openai' });
    for (let i = 0; i < 300; i++) await qu.understand(`query number ${i}`);
    const failed = calls.filter((c) => c.errorType !== undefined).length;
    expect(calls).toHaveLength(300);
    expect(failed / 300).toBeGreaterThan(0.14);
    expect(failed / 300).toBeLessThan(0.26);
  });
});
