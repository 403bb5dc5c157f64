import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (f: string) => readFileSync(f, 'utf8');

describe('.env.example', () => {
  const documented = new Set(
    [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
  );

  it('lists every variable of the deployment guide', () => {
    const guide = [
      'OPENAI_API_KEY',
      'OPENROUTER_API_KEY',
      'ANTHROPIC_API_KEY',
      'NEXT_PUBLIC_AI_SEARCH_ENABLED',
      'NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE',
      'AI_SEARCH_INTERNAL_USERS',
      'AI_SEARCH_BETA_USERS',
      'ENABLE_AI_SEARCH_MONITORING',
      'AI_SEARCH_LOG_LEVEL',
      'COST_TRACKING_ENABLED',
      'AI_SEARCH_CACHE_TTL',
      'AI_SEARCH_MAX_CONCURRENT_REQUESTS',
      'AI_SEARCH_TIMEOUT',
      'AI_SEARCH_RATE_LIMIT',
      'AI_SEARCH_MAX_TOKENS_PER_REQUEST',
    ];
    expect(guide.filter((v) => !documented.has(v))).toEqual([]);
  });

  it('lists every variable src/shared/config.ts reads', () => {
    const text = read('src/shared/config.ts');
    const read_ = [...text.matchAll(/r\.(?:raw|get)\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
    const perProvider = ['OPENAI', 'OPENROUTER', 'ANTHROPIC'].flatMap((p) =>
      ['API_KEY', 'BASE_URL', 'MODEL'].map((s) => `${p}_${s}`),
    );
    expect(read_.length).toBeGreaterThan(15);
    expect([...read_, ...perProvider].filter((v) => !documented.has(v))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');

  it('builds on Node 20 with npm ci and runs the canary CLI', () => {
    expect(text).toMatch(/^FROM node:20/m);
    expect(text).toMatch(/RUN npm ci/);
    expect(text).toMatch(/ENTRYPOINT \["node", "bin\/canary\.js"\]/);
  });

  it('copies only paths that exist', () => {
    const sources = [...text.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) =>
      (m[1] as string).split(/\s+/),
    );
    expect(sources.length).toBeGreaterThan(3);
    expect(sources.filter((s) => !existsSync(s))).toEqual([]);
  });
});
