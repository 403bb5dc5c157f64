import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { costOf, createCostMeter, PRICE_TABLES, priceOf } from '../../src/search/llm/pricing.js';
import { createLogger } from '../../src/shared/logger.js';

function collectingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination: DestinationStream = { write: (s: string) => void lines.push(JSON.parse(s)) };
  return { lines, logger: createLogger({ name: 'test', level: 'debug', destination }) };
}

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0) => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
});

describe('costOf', () => {
  it.each([
    // provider, model, input, output, cached, expected USD
    ['openai', 'gpt-4o-mini', 1_000_000, 0, 0, 0.15],
    ['openai', 'gpt-4o-mini', 0, 1_000_000, 0, 0.6],
    ['openai', 'gpt-4o-mini', 1000, 100, 0, (1000 * 0.15 + 100 * 0.6) / 1e6],
    // 400 of the 1000 input tokens came from the prompt cache, at the cached price.
    ['openai', 'gpt-4o-mini', 1000, 100, 400, (600 * 0.15 + 400 * 0.075 + 100 * 0.6) / 1e6],
    ['openai', 'gpt-4o-mini-2024-07-18', 1000, 100, 0, (1000 * 0.15 + 100 * 0.6) / 1e6],
    ['anthropic', 'claude-3-5-haiku-latest', 2000, 50, 0, (2000 * 0.8 + 50 * 4) / 1e6],
    ['anthropic', 'claude-3-5-haiku-20241022', 2000, 50, 0, (2000 * 0.8 + 50 * 4) / 1e6],
    ['openrouter', 'openai/gpt-4o-mini', 1000, 100, 0, (1000 * 0.15 + 100 * 0.6) / 1e6],
  ] as const)(
    '%s %s: %i in, %i out, %i cached',
    (provider, model, input, output, cached, expected) => {
      expect(costOf(provider, model, usage(input, output, cached))).toBeCloseTo(expected, 12);
    },
  );

  it("uses the provider's own reported cost when there is one", () => {
    expect(
      costOf('openrouter', 'openai/gpt-4o-mini', { ...usage(1000, 100), reportedCostUsd: 0.5 }),
    ).toBe(0.5);
  });

  it('costs an unknown model nothing (the meter warns about it)', () => {
    expect(costOf('openai', 'gpt-99-turbo', usage(1000, 100))).toBe(0);
    expect(priceOf('openai', 'gpt-99-turbo')).toBeUndefined();
  });

  it('dates every price table', () => {
    for (const table of Object.values(PRICE_TABLES))
      expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('createCostMeter', () => {
  it('warns once per unknown model, not on every call', () => {
    const { lines, logger } = collectingLogger();
    const meter = createCostMeter({ enabled: true, logger });
    expect(meter('openai', 'gpt-99-turbo', usage(10, 10))).toBe(0);
    expect(meter('openai', 'gpt-99-turbo', usage(10, 10))).toBe(0);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('gpt-99-turbo');
  });

  it('reports 0 when COST_TRACKING_ENABLED=false', () => {
    const { logger } = collectingLogger();
    const meter = createCostMeter({ enabled: false, logger });
    expect(meter('openai', 'gpt-4o-mini', usage(1_000_000, 1_000_000))).toBe(0);
    expect(meter('openrouter', 'x', { ...usage(1, 1), reportedCostUsd: 3 })).toBe(0);
  });
});
