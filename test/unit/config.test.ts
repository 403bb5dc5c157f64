import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/shared/config.js';
import { envWithFiles } from '../../src/shared/env-files.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
};

describe('loadConfig', () => {
  it("applies the deployment guide's defaults to an empty environment", () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.bootstrap).toEqual({
      aiSearchEnabled: false,
      rolloutPercentage: 0,
      internalUsers: true,
      betaUsers: false,
    });
    expect(c).toMatchObject({
      monitoringEnabled: true,
      logLevel: 'info',
      costTrackingEnabled: true,
      cacheTtlSeconds: 3600,
      maxConcurrentRequests: 10,
      timeoutMs: 30_000,
      rateLimitPerMinute: 100,
      maxTokensPerRequest: 4000,
      dataDir: '/srv/app/data',
      flagsFile: '/srv/app/data/flags.json',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the guide example values', () => {
    const c = loadConfig(
      {
        NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
        NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '25',
        AI_SEARCH_BETA_USERS: 'true',
        AI_SEARCH_LOG_LEVEL: 'DEBUG',
        AI_SEARCH_TIMEOUT: '5000',
        AI_SEARCH_RATE_LIMIT: '7',
      },
      '/srv/app',
    );
    expect(c.bootstrap.aiSearchEnabled).toBe(true);
    expect(c.bootstrap.rolloutPercentage).toBe(25);
    expect(c.bootstrap.betaUsers).toBe(true);
    expect(c.logLevel).toBe('debug');
    expect(c.timeoutMs).toBe(5000);
    expect(c.rateLimitPerMinute).toBe(7);
  });

  it.each([
    ['NEXT_PUBLIC_AI_SEARCH_ENABLED', 'maybe', /true or false/],
    ['NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE', '150', /0 to 100/],
    ['NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE', '12.5', /whole number/],
    ['AI_SEARCH_LOG_LEVEL', 'loud', /one of fatal, error, warn, info/],
    ['AI_SEARCH_CACHE_TTL', '-1', /seconds/],
    ['AI_SEARCH_MAX_CONCURRENT_REQUESTS', '0', /1 to 10000/],
    ['AI_SEARCH_TIMEOUT', '30s', /milliseconds/],
    ['AI_SEARCH_RATE_LIMIT', 'lots', /per user per minute/],
    ['AI_SEARCH_MAX_TOKENS_PER_REQUEST', '1e9', /tokens/],
    ['LLM_SIM_URL', 'localhost:3200', /http:\/\/ or https:\/\/ URL/],
    ['AI_SEARCH_PROVIDERS', 'openai,gemini', /comma-separated list/],
    ['SEARCH_PORT', '70000', /TCP port/],
    ['SEARCH_METRICS_PORT', 'metrics', /TCP port/],
  ])('rejects %s=%s with a message naming the variable', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toMatch(expected);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ AI_SEARCH_TIMEOUT: 'x', AI_SEARCH_RATE_LIMIT: 'y' })).toHaveLength(2);
  });

  it('reads what one client may cost: negative cache TTL and the per-client share of LLM calls', () => {
    const d = loadConfig({}, '/srv/app');
    expect([d.negativeCacheTtlSeconds, d.clientShare]).toEqual([
      60,
      { calls: 60, windowSeconds: 300 },
    ]);
    const c = loadConfig(
      {
        AI_SEARCH_NEGATIVE_CACHE_TTL: '0',
        AI_SEARCH_CLIENT_CALL_SHARE: '0',
        AI_SEARCH_CLIENT_SHARE_WINDOW: '5',
      },
      '/srv/app',
    );
    expect([c.negativeCacheTtlSeconds, c.clientShare]).toEqual([0, { calls: 0, windowSeconds: 5 }]);
    expect(
      problemsOf({ AI_SEARCH_CLIENT_SHARE_WINDOW: '0', AI_SEARCH_NEGATIVE_CACHE_TTL: '-1' }),
    ).toHaveLength(2);
    const [tooSmall] = problemsOf({ AI_SEARCH_CLIENT_CALL_SHARE: '2' });
    expect(tooSmall).toMatch(/AI_SEARCH_CLIENT_CALL_SHARE=2 is below the 3 LLM calls one search/);
    expect(problemsOf({ AI_SEARCH_CLIENT_CALL_SHARE: '2', AI_SEARCH_PROVIDERS: 'openai' })).toEqual(
      [],
    );
  });

  it('never echoes an API key in an error', () => {
    const err = (() => {
      try {
        loadConfig({ OPENAI_API_KEY: 'sk-secret-value-123', AI_SEARCH_TIMEOUT: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).not.toContain('sk-secret-value-123');
  });

  it('sends providers without a key to the LLM simulator, and real ones to their APIs', () => {
    const c = loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-x', LLM_SIM_URL: 'http://127.0.0.1:9999/' });
    const byName = Object.fromEntries(c.providers.map((p) => [p.name, p]));
    expect(byName.openai).toMatchObject({ simulated: true, baseUrl: 'http://127.0.0.1:9999/v1' });
    expect(byName.anthropic).toMatchObject({
      simulated: false,
      baseUrl: 'https://api.anthropic.com',
      apiKey: 'sk-ant-x',
    });
    expect(c.providers.map((p) => p.name)).toEqual(['openai', 'openrouter', 'anthropic']);
  });

  it('honours the provider order and base-URL overrides', () => {
    const c = loadConfig({
      AI_SEARCH_PROVIDERS: 'anthropic, openai',
      OPENAI_BASE_URL: 'http://proxy.internal/v1',
    });
    expect(c.providers.map((p) => p.name)).toEqual(['anthropic', 'openai']);
    expect(c.providers[1]).toMatchObject({ baseUrl: 'http://proxy.internal/v1', simulated: false });
  });
});

describe('envWithFiles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-env-'));
  writeFileSync(path.join(dir, '.env'), 'AI_SEARCH_TIMEOUT=1000\nAI_SEARCH_RATE_LIMIT=5\n');
  writeFileSync(path.join(dir, '.env.staging'), 'AI_SEARCH_TIMEOUT=2000\n');

  it('layers .env.<name> over .env, and the real environment over both', () => {
    const env = envWithFiles('staging', dir, { AI_SEARCH_RATE_LIMIT: '9' });
    expect(env.AI_SEARCH_TIMEOUT).toBe('2000');
    expect(env.AI_SEARCH_RATE_LIMIT).toBe('9');
    expect(env.CANARY_ENV).toBe('staging');
  });

  it('names the missing file for an environment without one', () => {
    expect(() => envWithFiles('production', dir, {})).toThrow(/\.env\.production not found/);
  });

  it('refuses a name that could escape the folder', () => {
    expect(() => envWithFiles('../etc', dir, {})).toThrow(/not valid/);
  });
});
