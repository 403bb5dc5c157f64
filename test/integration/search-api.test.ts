// The search API over real HTTP, a real SQLite file, the real flag file and evaluator, and the real
// LLM layer (official SDKs) talking to the LLM simulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig, secretValues } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { eventually } from '../harness/index.js';

const TOKEN = 'test-admin-token-0123456789';
let dir = '';
let sim: LlmSimulator;
let svc: RunningService;
const users = { internal: [] as string[], beta: [] as string[], public: [] as string[] };

function env(extra: Record<string, string> = {}) {
  return {
    DATA_DIR: dir,
    LLM_SIM_URL: sim.url,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '0',
    AI_SEARCH_INTERNAL_USERS: 'true',
    AI_SEARCH_BETA_USERS: 'false',
    FLAG_ADMIN_TOKEN: TOKEN,
    AI_SEARCH_RATE_LIMIT: '5',
    AI_SEARCH_TIMEOUT: '1500',
    AI_SEARCH_LOG_LEVEL: 'silent',
    ...extra,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-api-'));
  sim = await startLlmSimulator({
    port: 0,
    seed: 7,
    latency: { baseMs: 5, perOutputTokenMs: 0, jitterMs: 0 },
  });
  svc = await startService({
    config: loadConfig(env()),
    port: 0,
    contacts: 3000,
    users: 1000,
    clientRateLimit: false,
    flagPollMs: 200,
  });
  users.internal = svc.store.usersInSegment('internal-users', 20);
  users.beta = svc.store.usersInSegment('beta-users', 5);
  users.public = svc.store.usersInSegment('public', 5);
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  searchId: string;
  mode: 'ai' | 'keyword';
  degraded: boolean;
  degradedReason?: string;
  results: { id: number; name: string; city: string; beats: string[] }[];
  tookMs: number;
  costUsd: number;
}

async function search(userId: string, q: string, limit = 10): Promise<Answer> {
  const url = `${svc.url}/api/search?q=${encodeURIComponent(q)}&limit=${limit}`;
  const res = await fetch(url, { headers: { 'x-user-id': userId } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer;
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Sum of one series' samples whose labels contain `match`. */
function countOf(text: string, series: string, match: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${series}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function putFlag(body: unknown, auth?: string) {
  return fetch(`${svc.url}/api/flags/ai-search-enabled`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
}

describe('search modes by flag and segment', () => {
  it('gives internal users AI search and everyone else keyword search', async () => {
    const ai = await search(users.internal[0]!, 'climate reporters in Berlin');
    expect(ai).toMatchObject({ mode: 'ai', degraded: false });
    expect(ai.costUsd).toBeGreaterThan(0);
    expect(ai.results.length).toBeGreaterThan(0);
    for (const r of ai.results) {
      expect(r.beats).toContain('climate');
      expect(r.city).toBe('Berlin');
    }
    for (const u of [users.beta[0]!, users.public[0]!, 'someone-unknown']) {
      const kw = await search(u, 'climate reporters in Berlin');
      expect(kw).toMatchObject({ mode: 'keyword', degraded: false, costUsd: 0 });
      expect(kw.results.length).toBeGreaterThan(0);
    }
  });

  it('follows a rollout change and the kill switch made over the admin API', async () => {
    expect(
      (
        await putFlag(
          { percentage: 100, segment: 'beta-users', reason: 'beta rollout' },
          `Bearer ${TOKEN}`,
        )
      ).status,
    ).toBe(200);
    await eventually(
      async () => ((await search(users.beta[1]!, 'energy')).mode === 'ai' ? true : undefined),
      { what: 'beta user in AI mode' },
    );
    expect((await putFlag({ value: false, reason: 'kill switch' }, `Bearer ${TOKEN}`)).status).toBe(
      200,
    );
    await eventually(
      async () =>
        (await search(users.internal[1]!, 'energy')).mode === 'keyword' ? true : undefined,
      { what: 'kill switch served' },
    );
    expect(
      (
        await putFlag(
          { value: true, percentage: 0, segment: 'beta-users', reason: 'restore' },
          `Bearer ${TOKEN}`,
        )
      ).status,
    ).toBe(200);
    await eventually(
      async () => ((await search(users.internal[1]!, 'energy')).mode === 'ai' ? true : undefined),
      { what: 'flag back on' },
    );
  });

  it('answers a cached query again at no cost', async () => {
    const q = 'sports editors in Madrid';
    const first = await search(users.internal[2]!, q);
    const again = await search(users.internal[3]!, q);
    expect(first.costUsd).toBeGreaterThan(0);
    expect(again).toMatchObject({ mode: 'ai', degraded: false, costUsd: 0 });
    expect(again.results.map((r) => r.id)).toEqual(first.results.map((r) => r.id));
  });
});

describe('AI failures degrade to keyword results', () => {
  it('gives a degraded keyword answer when the LLM is slower than AI_SEARCH_TIMEOUT', async () => {
    sim.setFaults({ latencyMs: 5000 });
    try {
      const a = await search(users.internal[4]!, 'fashion columnists in Paris');
      expect(a).toMatchObject({ mode: 'ai', degraded: true, degradedReason: 'timeout' });
      expect(a.results.length).toBeGreaterThan(0);
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
  });

  it.each(['error', 'garbage', 'injection'] as const)(
    'gives keyword results when every provider answers with %s',
    async (mode) => {
      sim.setFaults({ errorRate: 1, mode, status: 503 });
      const errorType = mode === 'error' ? 'http_5xx' : 'invalid_output';
      const failures = async () =>
        countOf(
          await metricsText(svc.url),
          'gen_ai_client_operation_duration_count',
          `error_type="${errorType}"`,
        );
      try {
        const before = await failures();
        const a = await search(users.internal[5]!, `gaming podcasters in Tokyo ${mode}`);
        expect(a).toMatchObject({ mode: 'ai', degraded: true });
        expect(a.degradedReason).toBe(mode === 'error' ? 'all_providers_failed' : 'invalid_output');
        expect(a.results.length).toBeGreaterThan(0);
        // Each provider's rejected answer counts as an AI failure of its class.
        expect((await failures()) - before).toBe(3);
      } finally {
        sim.setFaults({ errorRate: 0 });
      }
    },
  );

  it('holds AI_SEARCH_RATE_LIMIT per user: above it, keyword results marked rate_limited', async () => {
    const user = users.internal[6]!;
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) answers.push(await search(user, `travel journalists ${i}`));
    expect(answers.slice(0, 5).every((a) => !a.degraded)).toBe(true);
    expect(answers.slice(5).map((a) => a.degradedReason)).toEqual(['rate_limited', 'rate_limited']);
    expect(answers[6]!.results.length).toBeGreaterThan(0);
    expect((await search(users.internal[7]!, 'travel journalists')).degraded).toBe(false);
  });
});

describe('provider fallback and the concurrency cap', () => {
  it('answers from the next provider when the first one fails, not degraded', async () => {
    sim.setFaults({ providers: { openai: { errorRate: 1, mode: 'error', status: 500 } } });
    try {
      const a = await search(users.internal[9]!, 'automotive reporters in Munich');
      expect(a).toMatchObject({ mode: 'ai', degraded: false });
      expect(a.costUsd).toBeGreaterThan(0);
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toMatch(
        /gen_ai_client_operation_duration_count\{gen_ai_operation_name="chat",gen_ai_provider_name="openai",[^}]*error_type="http_5xx"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /gen_ai_client_operation_duration_count\{gen_ai_operation_name="chat",gen_ai_provider_name="openrouter",gen_ai_request_model="[^"]+"\} [1-9]/,
      );
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
  });

  it('never has more than AI_SEARCH_MAX_CONCURRENT_REQUESTS LLM calls in flight', async () => {
    const dir3 = mkdtempSync(path.join(os.tmpdir(), 'search-api-3-'));
    const capped = await startService({
      config: loadConfig({
        ...env(),
        DATA_DIR: dir3,
        AI_SEARCH_MAX_CONCURRENT_REQUESTS: '2',
        AI_SEARCH_RATE_LIMIT: '0',
        ENABLE_AI_SEARCH_MONITORING: 'false',
      }),
      port: 0,
      contacts: 300,
      users: 100,
      clientRateLimit: false,
    });
    sim.setFaults({ latencyMs: 150 });
    sim.resetStats();
    try {
      const internal = capped.store.usersInSegment('internal-users', 1)[0]!;
      const answers = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const res = await fetch(
            `${capped.url}/api/search?q=${encodeURIComponent(`media editors ${i}`)}`,
            {
              headers: { 'x-user-id': internal },
            },
          );
          expect(res.status).toBe(200);
          return (await res.json()) as Answer;
        }),
      );
      expect(sim.stats().maxInFlight).toBeLessThanOrEqual(2);
      expect(answers.every((a) => a.mode === 'ai' && a.results !== undefined)).toBe(true);
      // Those that found no free slot in time are keyword answers marked overloaded.
      for (const a of answers) if (a.degraded) expect(a.degradedReason).toBe('overloaded');
      // This service runs with monitoring off: /metrics says so, searches are unaffected.
      const page = await fetch(`${capped.url}/metrics`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('ENABLE_AI_SEARCH_MONITORING=false');
    } finally {
      sim.setFaults({ errorRate: 0 });
      await capped.close();
      rmSync(dir3, { recursive: true, force: true });
    }
  });
});

describe('what a query may cost', () => {
  const sample = async (name: string) => {
    const line = (await metricsText(svc.url)).split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? NaN);
  };
  const failedCalls = async () =>
    countOf(await metricsText(svc.url), 'gen_ai_client_operation_duration_count', 'error_type="');

  it('makes one LLM call for 20 identical concurrent AI searches, and answers each as its own', async () => {
    // 20 internal users the other tests leave alone (AI_SEARCH_RATE_LIMIT is per user).
    const people = svc.store.usersInSegment('internal-users', 1000).slice(-20);
    expect(people.length).toBe(20);
    expect(people.some((u) => users.internal.includes(u))).toBe(false);
    const hits = async () =>
      countOf(await metricsText(svc.url), 'ai_search_cache_requests_total', 'result="hit"');
    const [coalescedBefore, hitsBefore] = [
      await sample('ai_search_llm_calls_coalesced_total'),
      await hits(),
    ];
    sim.setFaults({ latencyMs: 400 }); // the 20 overlap; within the first provider's 750 ms share
    sim.resetStats();
    try {
      const answers = await Promise.all(
        people.map((u) => search(u, 'Energy correspondents in Oslo, single flight')),
      );
      expect(sim.stats().totalRequests).toBe(1);
      expect(answers.every((a) => a.mode === 'ai' && !a.degraded)).toBe(true);
      expect(new Set(answers.map((a) => a.searchId)).size).toBe(20);
      expect(answers.filter((a) => a.costUsd > 0)).toHaveLength(1);
      // The other 19 joined the call in flight, or (arriving after it ended) hit the cache.
      const coalesced = (await sample('ai_search_llm_calls_coalesced_total')) - coalescedBefore;
      expect(coalesced).toBeGreaterThan(0);
      expect(coalesced + (await hits()) - hitsBefore).toBe(19);
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
  });

  it("answers the issue's over-long word with AI filters, and a query with nothing searchable without any call", async () => {
    const failedBefore = await failedCalls();
    sim.resetStats();
    const long = await search(users.internal[8]!, `reporters ${'z'.repeat(70)}`);
    expect(long).toMatchObject({ mode: 'ai', degraded: false });
    expect(sim.stats().totalRequests).toBe(1);
    const nothing = await search(users.internal[8]!, '!!! ??? 🎉');
    expect(nothing).toMatchObject({ mode: 'ai', degraded: true, degradedReason: 'query_rejected' });
    expect(sim.stats().totalRequests).toBe(1);
    expect(await failedCalls()).toBe(failedBefore);
  });
});

describe('feedback', () => {
  it('takes one rating per search', async () => {
    const a = await search(users.public[1]!, 'climate');
    const rate = (rating: number) =>
      fetch(`${svc.url}/api/search/${a.searchId}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rating }),
      });
    expect((await rate(5)).status).toBe(202);
    expect((await rate(4)).status).toBe(409);
  });
});

const feedbackUrl = (id: string) => `/api/search/${id}/feedback`;
const json = { 'content-type': 'application/json' };
const BAD_INPUT: [
  name: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  status: number,
][] = [
  ['empty q', 'GET', '/api/search?q=', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['missing q', 'GET', '/api/search', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['blank q', 'GET', '/api/search?q=%20%20', { 'x-user-id': 'u-000001' }, undefined, 400],
  [
    'q over 2 KB (chars)',
    'GET',
    `/api/search?q=${'a'.repeat(2049)}`,
    { 'x-user-id': 'u-000001' },
    undefined,
    400,
  ],
  [
    'q over 2 KB (bytes)',
    'GET',
    `/api/search?q=${encodeURIComponent('é'.repeat(1100))}`,
    { 'x-user-id': 'u-000001' },
    undefined,
    400,
  ],
  ['limit 0', 'GET', '/api/search?q=x&limit=0', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['limit 101', 'GET', '/api/search?q=x&limit=101', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['limit abc', 'GET', '/api/search?q=x&limit=abc', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['limit 1.5', 'GET', '/api/search?q=x&limit=1.5', { 'x-user-id': 'u-000001' }, undefined, 400],
  ['missing user id', 'GET', '/api/search?q=x', {}, undefined, 400],
  ['bad user id', 'GET', '/api/search?q=x', { 'x-user-id': 'u 1; drop' }, undefined, 400],
  [
    'bad JSON',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    '{"rating":',
    400,
  ],
  [
    'rating 0',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    '{"rating":0}',
    400,
  ],
  [
    'rating 6',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    '{"rating":6}',
    400,
  ],
  [
    'rating 4.5',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    '{"rating":4.5}',
    400,
  ],
  ['rating missing', 'POST', feedbackUrl('00000000-0000-4000-8000-000000000000'), json, '{}', 400],
  ['no body', 'POST', feedbackUrl('00000000-0000-4000-8000-000000000000'), {}, undefined, 400],
  ['malformed searchId', 'POST', feedbackUrl('not-a-search'), json, '{"rating":3}', 400],
  [
    'unknown searchId',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    '{"rating":3}',
    404,
  ],
  [
    'body too large',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    json,
    JSON.stringify({ rating: 3, pad: 'x'.repeat(5000) }),
    413,
  ],
  [
    'text body',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    { 'content-type': 'text/plain' },
    'rating=3',
    400,
  ],
  [
    'xml body',
    'POST',
    feedbackUrl('00000000-0000-4000-8000-000000000000'),
    { 'content-type': 'application/xml' },
    '<rating>3</rating>',
    415,
  ],
  ['unknown route', 'GET', '/api/nothing-here', {}, undefined, 404],
  ['unknown flag', 'GET', '/api/flags/no-such-flag', {}, undefined, 404],
  [
    'PUT without token',
    'PUT',
    '/api/flags/ai-search-enabled',
    json,
    '{"value":false,"reason":"x"}',
    401,
  ],
  [
    'PUT with wrong token',
    'PUT',
    '/api/flags/ai-search-enabled',
    { ...json, authorization: 'Bearer nope' },
    '{"value":false,"reason":"x"}',
    401,
  ],
  [
    'PUT without reason',
    'PUT',
    '/api/flags/ai-search-enabled',
    { ...json, authorization: `Bearer ${TOKEN}` },
    '{"value":false}',
    400,
  ],
  [
    'PUT bad percentage',
    'PUT',
    '/api/flags/ai-search-enabled',
    { ...json, authorization: `Bearer ${TOKEN}` },
    '{"percentage":101,"reason":"x"}',
    400,
  ],
  [
    'PUT nothing to change',
    'PUT',
    '/api/flags/ai-search-enabled',
    { ...json, authorization: `Bearer ${TOKEN}` },
    '{"reason":"x"}',
    400,
  ],
  [
    'PUT bad segment',
    'PUT',
    '/api/flags/ai-search-enabled',
    { ...json, authorization: `Bearer ${TOKEN}` },
    '{"percentage":5,"segment":"everyone","reason":"x"}',
    400,
  ],
];

describe('bad input gets a 4xx with a reason, never a 5xx', () => {
  it.each(BAD_INPUT)('%s', async (_name, method, p, headers, body, status) => {
    const res = await fetch(`${svc.url}${p}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const answer = (await res.json()) as { error: string; reason: string };
    expect(res.status, JSON.stringify(answer)).toBe(status);
    expect(answer.reason.length).toBeGreaterThan(5);
  });

  it('keeps the flag unchanged after refused writes', async () => {
    const res = await fetch(`${svc.url}/api/flags/ai-search-enabled`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      flag: 'ai-search-enabled',
      rollout: { enabled: true },
    });
  });
});

describe('SQL and FTS injection strings are only searched for', () => {
  const ATTACKS = [
    `'; DROP TABLE contacts; --`,
    `" OR 1=1 --`,
    `climate" OR "berlin`,
    'NEAR(climate berlin, 2)',
    'beats : climate',
    'content:* ^climate',
    ') OR (',
    `Robert'); DELETE FROM users WHERE ('1'='1`,
    '\\x00 \u0000 %00',
  ];
  it.each(ATTACKS)('%s', async (q) => {
    const before = svc.store.counts();
    for (const user of [users.public[2]!, users.internal[8]!]) {
      await search(user, q);
    }
    expect(svc.store.counts()).toEqual(before);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('says how long /metrics took to render, in a header and in the next scrape', async () => {
    const first = await fetch(`${svc.url}/metrics`);
    const dur = /^render;dur=(\d+\.\d{3})$/.exec(first.headers.get('server-timing') ?? '');
    expect(dur, 'Server-Timing header').not.toBeNull();
    const before = /ai_search_metrics_render_duration_count (\d+)/.exec(await first.text());
    const after = /ai_search_metrics_render_duration_count (\d+)/.exec(await metricsText(svc.url));
    expect(Number(after?.[1])).toBe(Number(before?.[1]) + 1);
  });

  it('serves a scrape ahead of fastify with the same page and headers, and counts it', async () => {
    const seriesOf = (text: string) =>
      text
        .split('\n')
        .map((l) => l.replace(/ [^ ]+$/, ''))
        .sort();
    const scrapes = (text: string) =>
      countOf(
        text,
        'http_server_request_duration_count',
        'http_route="/metrics",http_request_method="GET"',
      );
    await metricsText(svc.url); // the /metrics GET series exists from here on, on both pages
    const plain = await fetch(`${svc.url}/metrics`);
    const text = await plain.text();
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(plain.headers.get('server-timing')).toMatch(/^render;dur=\d+\.\d{3}$/);
    // The same series as fastify's route writes (here with a query string, which it answers).
    const viaFastify = await fetch(`${svc.url}/metrics?from=test`);
    expect(viaFastify.headers.get('content-type')).toBe(plain.headers.get('content-type'));
    const fastifyText = await viaFastify.text();
    expect(seriesOf(fastifyText)).toEqual(seriesOf(text));
    // Each scrape, on either path, is in http_server_request_duration once, as every request is.
    expect(scrapes(fastifyText)).toBe(scrapes(text) + 1);
    expect(scrapes(await metricsText(svc.url))).toBe(scrapes(fastifyText) + 1);
    const head = await fetch(`${svc.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${svc.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ error: 'not_found', reason: 'no route POST /metrics' });
  });
});

describe('a second service: writing off, client rate limit, corrupt flag file', () => {
  let dir2 = '';
  let other: RunningService;
  const logLines: string[] = [];
  const OPENAI_KEY = 'sk-test-0123456789abcdef';
  beforeAll(async () => {
    dir2 = mkdtempSync(path.join(os.tmpdir(), 'search-api-2-'));
    const config = loadConfig({
      ...env(),
      DATA_DIR: dir2,
      FLAG_ADMIN_TOKEN: '',
      AI_SEARCH_LOG_LEVEL: 'info',
      // A "real" OpenAI provider (a key is set), served here by the simulator; the others simulated.
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${sim.url}/v1`,
    });
    other = await startService({
      config,
      logger: createLogger({
        name: 'ai-search',
        level: 'info',
        secrets: secretValues(config),
        destination: { write: (line: string) => void logLines.push(line) },
      }),
      port: 0,
      contacts: 300,
      users: 50,
      clientRateLimit: { perSecond: 0.5, burst: 3 },
      flagPollMs: 200,
    });
  });
  afterAll(async () => {
    await other?.close();
    rmSync(dir2, { recursive: true, force: true });
  });

  it('says at start which providers are real and which are simulated, never the key', () => {
    const log = logLines.join('');
    expect(log).toContain(`openai (gpt-4o-mini) → ${sim.url}/v1`);
    expect(log).toMatch(/anthropic \([^)]+\) → LLM simulator at .*ANTHROPIC_API_KEY is not set/);
    expect(log).toContain('search service listening on');
    expect(log).not.toContain(OPENAI_KEY);
  });

  it('refuses flag writes with 403 when no FLAG_ADMIN_TOKEN is configured', async () => {
    const res = await fetch(`${other.url}/api/flags/ai-search-enabled`, {
      method: 'PUT',
      headers: { ...json, authorization: 'Bearer anything' },
      body: '{"value":false,"reason":"x"}',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { reason: string }).reason).toContain('FLAG_ADMIN_TOKEN');
  });

  it('answers 429 with Retry-After past the per-client limit, and leaves /healthz alone', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${other.url}/api/search?q=climate`, {
        headers: { 'x-user-id': 'u-000002' },
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
  });

  it('is not ready while the flag file is corrupt, and ready again once it is fixed', async () => {
    const flagsFile = path.join(dir2, 'flags.json');
    const good = await (await import('node:fs/promises')).readFile(flagsFile, 'utf8');
    writeFileSync(flagsFile, '{ not json');
    const reasons = await eventually(
      async () => {
        const res = await fetch(`${other.url}/readyz`);
        return res.status === 503
          ? ((await res.json()) as { reasons: string[] }).reasons
          : undefined;
      },
      { what: '/readyz 503' },
    );
    expect(reasons.join(' ')).toMatch(/flags not loaded/);
    writeFileSync(flagsFile, good);
    await eventually(
      async () => ((await fetch(`${other.url}/readyz`)).status === 200 ? true : undefined),
      { what: '/readyz 200' },
    );
  });
});

// Last: it closes the main service's database.
describe('a failing database', () => {
  it('answers 500 (counted, with no detail) when the database is gone, and is not ready', async () => {
    svc.store.close();
    const res = await fetch(`${svc.url}/api/search?q=climate`, {
      headers: { 'x-user-id': 'u-000003' },
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'internal',
      reason: 'internal error; the service log has the details',
    });
    // Anyone learns what is wrong; only the admin token holder learns where (the file's path).
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      reasons: ['the contacts database is not open'],
    });
    const admin = await fetch(`${svc.url}/readyz`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(admin.status).toBe(503);
    expect(((await admin.json()) as { details: string[] }).details).toEqual([
      `the contacts database ${svc.store.file} is not open`,
    ]);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(
      /http_server_request_duration_count\{http_route="\/api\/search",http_request_method="GET",http_response_status_code="500",url_scheme="http"\} 1\n/,
    );
    expect(metrics).toMatch(
      /ai_search_searches_total\{ai_search_mode="(ai|keyword)",feature_flag_result_variant="(on|off)",outcome="error"\} 1\n/,
    );
  });
});
