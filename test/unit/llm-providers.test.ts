import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/search/llm/provider.js';
import { createProviders, describeProviders } from '../../src/search/llm/providers.js';
import { loadConfig } from '../../src/shared/config.js';

describe('describeProviders', () => {
  it('says plainly that the simulator is used when no key is set', () => {
    const { message, providers } = describeProviders(
      loadConfig({ LLM_SIM_URL: 'http://127.0.0.1:3999' }),
    );
    expect(message).toMatch(
      /^No provider key set: AI search talks to the local LLM simulator at http:\/\/127\.0\.0\.1:3999/,
    );
    expect(message).toContain('because OPENAI_API_KEY is not set');
    expect(providers.map((p) => [p.provider, p.simulated])).toEqual([
      ['openai', true],
      ['openrouter', true],
      ['anthropic', true],
    ]);
  });

  it('names the real endpoint, in the configured order, and never the key', () => {
    const key = 'sk-live-very-secret-0123456789';
    const config = loadConfig({ AI_SEARCH_PROVIDERS: 'anthropic,openai', OPENAI_API_KEY: key });
    const { message } = describeProviders(config);
    expect(message).not.toContain(key);
    expect(message).not.toContain('No provider key set');
    expect(message.indexOf('anthropic')).toBeLessThan(message.indexOf('openai'));
    expect(message).toContain('openai (gpt-4o-mini) → https://api.openai.com/v1');
  });

  it('builds one adapter per configured provider, in order', () => {
    const adapters = createProviders(loadConfig({ AI_SEARCH_PROVIDERS: 'openrouter,anthropic' }));
    expect(adapters.map((a) => [a.name, a.model])).toEqual([
      ['openrouter', 'openai/gpt-4o-mini'],
      ['anthropic', 'claude-3-5-haiku-latest'],
    ]);
  });
});

describe('classifyError', () => {
  const headers = new Headers();
  it.each([
    [OpenAI.APIError.generate(429, { error: {} }, 'x', headers), 'rate_limited'],
    [OpenAI.APIError.generate(503, { error: {} }, 'x', headers), 'http_5xx'],
    [OpenAI.APIError.generate(404, { error: {} }, 'x', headers), 'http_4xx'],
    [Anthropic.APIError.generate(529, { error: {} }, 'x', headers), 'http_5xx'],
    [Anthropic.APIError.generate(408, { error: {} }, 'x', headers), 'timeout'],
    [new OpenAI.APIConnectionTimeoutError(), 'timeout'],
    [new Anthropic.APIConnectionError({ message: 'ECONNREFUSED' }), 'connection'],
    [new OpenAI.APIUserAbortError(), 'aborted'],
    [new TypeError('fetch failed'), 'connection'],
  ])('%s → %s', (err, expected) => {
    expect(classifyError(err)).toBe(expected);
  });
});
