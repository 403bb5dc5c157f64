import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContactHit, ContactsStore } from '../../src/search/contacts/store.js';
import type {
  QueryUnderstanding,
  SearchFilters,
  UnderstandResult,
} from '../../src/search/llm/types.js';
import type { SearchMode, SearchOutcome, ServiceMetrics } from '../../src/search/metrics.js';
import { ClientShare } from '../../src/search/client-share.js';
import { RecentSearches } from '../../src/search/recent-searches.js';
import {
  DEGRADED_LOG_INTERVAL_MS,
  GUARD_GRACE_MS,
  SearchService,
  type FlagEvaluator,
} from '../../src/search/search-service.js';
import { TokenBuckets } from '../../src/search/token-buckets.js';
import type { UserSegment } from '../../src/flags/types.js';
import { FakeClock } from '../../src/shared/clock.js';

const hit = (id: number): ContactHit => ({
  id,
  name: `C ${id}`,
  outlet: 'Reuters',
  role: 'reporter',
  beats: ['climate'],
  city: 'Berlin',
  country: 'Germany',
  languages: ['German'],
  bio: 'b',
  email: 'e',
  twitter: '@t',
  linkedin: 'l',
  score: 1,
});

function fakeStore(
  overrides: Partial<ContactsStore> = {},
): ContactsStore & { filtersSeen: SearchFilters[] } {
  const filtersSeen: SearchFilters[] = [];
  return {
    file: ':memory:',
    keywordSearch: async () => [hit(1)],
    filterSearch: async (f) => (filtersSeen.push(f), [hit(2), hit(3)]),
    findUser: (id) => (id === 'u-internal' ? { id, segment: 'internal-users' } : undefined),
    usersInSegment: () => [],
    counts: () => ({ contacts: 3, users: 1 }),
    ping: () => 'ok',
    close: async () => {},
    filtersSeen,
    ...overrides,
  };
}

function recordingMetrics() {
  const searches: [SearchMode, SearchOutcome][] = [];
  const flags: [string, UserSegment][] = [];
  const ratings: number[] = [];
  const noCalls: string[] = [];
  const nothing = () => {};
  const metrics: ServiceMetrics = {
    enabled: true,
    recordHttp: nothing,
    recordDb: nothing,
    recordCall: nothing,
    recordCache: nothing,
    recordResultCache: nothing,
    recordSearch: (mode, outcome) => void searches.push([mode, outcome]),
    recordCohortUser: nothing,
    recordFlag: (_f, variant, segment) => void flags.push([variant, segment]),
    recordFeedback: (r) => void ratings.push(r),
    recordNoCall: (reason) => void noCalls.push(reason),
    recordCoalesced: nothing,
    watchFlagStore: nothing,
    render: async () => ({
      status: 200,
      contentType: 'text/plain',
      chunks: [],
      bytes: 0,
      body: Buffer.alloc(0),
      renderSeconds: 0,
    }),
    shutdown: async () => {},
  };
  return { metrics, searches, flags, ratings, noCalls };
}

const filters: SearchFilters = {
  keywords: [],
  beats: ['climate'],
  locations: ['Berlin'],
  outlets: [],
  roles: [],
  languages: [],
};
const understood: UnderstandResult = {
  ok: true,
  filters,
  cached: false,
  provider: 'openai',
  model: 'gpt-4o-mini',
  costUsd: 0.0002,
  calls: [],
};

function setup(opts: {
  on: boolean;
  understand?: QueryUnderstanding['understand'];
  quota?: number;
  store?: Partial<ContactsStore>;
  logLines?: string[];
  share?: (clock: FakeClock) => ClientShare;
}) {
  const m = recordingMetrics();
  const store = fakeStore(opts.store);
  let llmCalls = 0;
  const flags: FlagEvaluator = {
    evaluate: async () => ({
      value: opts.on,
      variant: opts.on ? 'on' : 'off',
      reason: 'TARGETING_MATCH',
    }),
  };
  const clock = new FakeClock(0);
  const service = new SearchService({
    store,
    flags,
    metrics: m.metrics,
    recent: new RecentSearches(clock),
    understanding: {
      understand: (q, o) => (llmCalls++, (opts.understand ?? (async () => understood))(q, o)),
    },
    aiQuota: opts.quota
      ? new TokenBuckets({ capacity: opts.quota, refillPerSecond: opts.quota / 60 }, clock)
      : undefined,
    share: opts.share?.(clock),
    aiTimeoutMs: 50,
    clock,
    logger: opts.logLines
      ? pino({ level: 'info' }, { write: (l: string) => void opts.logLines!.push(l) })
      : pino({ level: 'silent' }),
  });
  return { service, store, clock, ...m, llmCalls: () => llmCalls };
}

describe('SearchService', () => {
  it('serves keyword search when the flag is off, without calling the LLM', async () => {
    const t = setup({ on: false });
    const a = await t.service.search({
      q: 'climate',
      limit: 5,
      userId: 'u-x',
      clientAddress: '10.0.0.1',
    });
    expect(a).toMatchObject({ mode: 'keyword', degraded: false, costUsd: 0, results: [hit(1)] });
    expect(t.llmCalls()).toBe(0);
    expect(t.searches).toEqual([['keyword', 'success']]);
    expect(t.flags).toEqual([['off', 'public']]);
  });

  it('runs the LLM filters as the search when the flag is on', async () => {
    const t = setup({ on: true });
    const a = await t.service.search({
      q: 'climate reporters in Berlin',
      limit: 5,
      userId: 'u-internal',
      clientAddress: '10.0.0.1',
    });
    expect(a).toMatchObject({ mode: 'ai', degraded: false, costUsd: 0.0002 });
    expect(a.results.map((r) => r.id)).toEqual([2, 3]);
    expect(t.store.filtersSeen).toEqual([filters]);
    expect(t.flags).toEqual([['on', 'internal-users']]);
    expect(t.searches).toEqual([['ai', 'success']]);
  });

  it.each([
    ['all_providers_failed', 0.0001],
    ['invalid_output', 0.0003],
    ['overloaded', 0],
  ] as const)(
    'falls back to keyword results when understanding fails: %s',
    async (reason, costUsd) => {
      const t = setup({
        on: true,
        understand: async () => ({ ok: false, reason, error: 'x', costUsd, calls: [] }),
      });
      const a = await t.service.search({
        q: 'climate',
        limit: 5,
        userId: 'u-x',
        clientAddress: '10.0.0.1',
      });
      expect(a).toMatchObject({
        mode: 'ai',
        degraded: true,
        degradedReason: reason,
        costUsd,
        results: [hit(1)],
      });
      expect(t.searches).toEqual([['ai', 'degraded']]);
    },
  );

  it('bounds the AI part by the timeout (plus a grace) even when the LLM layer never answers', async () => {
    const t = setup({ on: true, understand: () => new Promise(() => {}) });
    let settled = false;
    const pending = t.service.search({
      q: 'climate',
      limit: 5,
      userId: 'u-x',
      clientAddress: '10.0.0.1',
    });
    void pending.finally(() => (settled = true));
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    await t.clock.advance(50); // AI_SEARCH_TIMEOUT: the LLM layer's own bound, not yet the guard's
    await tick();
    expect(settled).toBe(false);
    await t.clock.advance(GUARD_GRACE_MS);
    await tick();
    expect(settled).toBe(true);
    expect(await pending).toMatchObject({
      degraded: true,
      degradedReason: 'timeout',
      results: [hit(1)],
    });
  });

  it('gives the LLM layer a budget from the client share: per user id and per address (client_share_exceeded)', async () => {
    // Like the real layer: reserve before the chain, settle with the calls made (one here).
    const t = setup({
      on: true,
      understand: async (_q, o) => {
        const reserved = o?.budget?.reserve();
        if (reserved && !reserved.ok) {
          return {
            ok: false,
            reason: 'client_share_exceeded',
            error: reserved.error,
            costUsd: 0,
            calls: [],
          };
        }
        o?.budget?.settle(1);
        return understood;
      },
      share: (clock) => new ClientShare({ calls: 4, windowMs: 300_000, reserve: 3 }, clock),
    });
    const ask = (userId: string, clientAddress: string) =>
      t.service.search({ q: 'climate', limit: 5, userId, clientAddress });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await ask(`rotated-${i}`, '10.0.0.1'));
    expect(answers.map((a) => a.degradedReason)).toEqual([
      undefined,
      undefined,
      'client_share_exceeded',
    ]);
    expect(answers[2]).toMatchObject({ mode: 'ai', degraded: true, results: [hit(1)] });
    expect(t.noCalls).toEqual(['client_share_exceeded']);
    // Another address is another client.
    expect((await ask('rotated-9', '10.0.0.2')).degraded).toBe(false);
  });

  it.each(['query_rejected', 'recent_failure'] as const)(
    'counts a %s search as one that made no LLM call, and logs it at INFO (not trouble)',
    async (reason) => {
      const logLines: string[] = [];
      const t = setup({
        on: true,
        understand: async () => ({ ok: false, reason, error: 'x', costUsd: 0, calls: [] }),
        logLines,
      });
      const a = await t.service.search({ q: '!!!', limit: 5, userId: 'u-x', clientAddress: 'a' });
      expect(a).toMatchObject({ mode: 'ai', degraded: true, degradedReason: reason });
      expect(t.noCalls).toEqual([reason]);
      expect(logLines.map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([30]);
    },
  );

  it('gives keyword results (degraded, rate_limited) above the per-user AI quota', async () => {
    const t = setup({ on: true, quota: 2 });
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await t.service.search({
          q: 'climate',
          limit: 5,
          userId: 'u-x',
          clientAddress: '10.0.0.1',
        }),
      );
    expect(answers.map((a) => a.degradedReason)).toEqual([undefined, undefined, 'rate_limited']);
    expect(t.llmCalls()).toBe(2);
    const other = await t.service.search({
      q: 'climate',
      limit: 5,
      userId: 'u-y',
      clientAddress: '10.0.0.1',
    });
    expect(other.degraded).toBe(false);
  });

  it('counts an error and rethrows when the database fails', async () => {
    const t = setup({
      on: false,
      store: {
        keywordSearch: async () => {
          throw new Error('disk I/O error');
        },
      },
    });
    await expect(
      t.service.search({ q: 'x', limit: 1, userId: 'u-x', clientAddress: '10.0.0.1' }),
    ).rejects.toThrow('disk I/O');
    expect(t.searches).toEqual([['keyword', 'error']]);
  });

  it('records a rating once per search; unknown ids are refused', async () => {
    const t = setup({ on: false });
    const a = await t.service.search({
      q: 'climate',
      limit: 5,
      userId: 'u-x',
      clientAddress: '10.0.0.1',
    });
    expect(t.service.feedback(a.searchId, 5)).toBe('recorded');
    expect(t.service.feedback(a.searchId, 1)).toBe('already_rated');
    expect(t.service.feedback('00000000-0000-0000-0000-000000000000', 3)).toBe('unknown');
    expect(t.ratings).toEqual([5]);
  });

  it('logs one warning per degradation reason per interval, with the count in between', async () => {
    const logLines: string[] = [];
    const failing: QueryUnderstanding['understand'] = async () => ({
      ok: false,
      reason: 'all_providers_failed',
      error: 'openai: http_5xx; openrouter: http_5xx; anthropic: http_5xx',
      costUsd: 0,
      calls: [],
    });
    const t = setup({ on: true, understand: failing, logLines });
    for (let i = 0; i < 3; i++)
      await t.service.search({ q: `q${i}`, limit: 5, userId: 'u-x', clientAddress: '10.0.0.1' });
    expect(logLines).toHaveLength(1);
    await t.clock.advance(DEGRADED_LOG_INTERVAL_MS);
    await t.service.search({ q: 'q4', limit: 5, userId: 'u-x', clientAddress: '10.0.0.1' });
    expect(logLines).toHaveLength(2);
    expect(JSON.parse(logLines[1]!)).toMatchObject({
      level: 40,
      reason: 'all_providers_failed',
      similarSinceLastLine: 2,
      msg: 'AI search degraded to keyword results',
    });
  });
});
