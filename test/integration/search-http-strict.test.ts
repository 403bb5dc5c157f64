// The search service's strict HTTP contract, on the real service (real SQLite, flag file and
// evaluator, LLM layer talking to the simulator): numbers have one spelling, unknown keys and
// coerced types are refused with a 400 that says why, no input gives a 5xx, and unauthenticated
// callers never see paths or file contents.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig } from '../../src/shared/config.js';
import { eventually } from '../harness/index.js';

const TOKEN = 'strict-admin-token-0123456789';
const ADMIN = `Bearer ${TOKEN}`;
const FLAG = '/api/flags/ai-search-enabled';
const NO_SEARCH = '00000000-0000-4000-8000-000000000000';
let dir = '';
let sim: LlmSimulator;
let svc: RunningService;
let user = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-strict-'));
  sim = await startLlmSimulator({
    seed: 3,
    latency: { baseMs: 1, perOutputTokenMs: 0, jitterMs: 0 },
  });
  svc = await startService({
    config: loadConfig({
      DATA_DIR: dir,
      LLM_SIM_URL: sim.url,
      NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
      NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '50',
      AI_SEARCH_INTERNAL_USERS: 'true',
      FLAG_ADMIN_TOKEN: TOKEN,
      AI_SEARCH_TIMEOUT: '1500',
      AI_SEARCH_LOG_LEVEL: 'silent',
    }),
    port: 0,
    contacts: 300,
    users: 50,
    clientRateLimit: false,
    flagPollMs: 100,
  });
  user = svc.store.usersInSegment('internal-users', 1)[0]!;
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: { error?: string; reason?: string; [k: string]: unknown };
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await svc.inject({ method: 'GET', url, headers: { 'x-user-id': user, ...headers } });
  return { status: res.statusCode, body: res.json() };
}

async function send(method: 'POST' | 'PUT', url: string, body: string, auth?: string) {
  const res = await svc.inject({
    method,
    url,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    payload: body,
  });
  return { status: res.statusCode, body: res.json() as Answer['body'] };
}

/** Sum of the samples of `series` whose labels contain `match`. */
async function metricSum(series: string, match: string): Promise<number> {
  const text = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${series}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('limit is a whole number from 1 to 100 in plain digits', () => {
  it.each([
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['1e400', '1e400'],
    ['1e2', '1e2'],
    ['0x10', '0x10'],
    ['" 5"', '%205'],
    ['"5 "', '5%20'],
    ['+5', '%2B5'],
    ['05', '05'],
    ['10.0', '10.0'],
    ['-0', '-0'],
    ['null', 'null'],
    ['true', 'true'],
    ['empty', ''],
    ['beyond safe integers', '9007199254740993'],
    ['0', '0'],
    ['101', '101'],
  ])('limit=%s → 400 naming limit and its range', async (_name, raw) => {
    const a = await get(`/api/search?q=climate&limit=${raw}`);
    expect(a.status, JSON.stringify(a.body)).toBe(400);
    expect(a.body.error).toBe('bad_request');
    expect(a.body.reason).toMatch(/^querystring\/limit must be .*from 1 to 100/);
  });

  it('answers limit=Infinity with 400, not a 500 that counts as an API and a database error', async () => {
    const dbErrors = await metricSum('db_client_operation_duration_seconds_count', 'error_type=');
    for (const raw of ['Infinity', '-Infinity', '1e400']) {
      expect((await get(`/api/search?q=climate&limit=${raw}`)).status).toBe(400);
    }
    expect(await metricSum('http_server_request_duration_count', 'code="500"')).toBe(0);
    expect(await metricSum('db_client_operation_duration_seconds_count', 'error_type=')).toBe(
      dbErrors,
    );
  });

  it('takes plain limits and defaults to 10', async () => {
    const many = await get('/api/search?q=climate&limit=100');
    expect(many.status).toBe(200);
    expect((many.body.results as unknown[]).length).toBeGreaterThan(10);
    const ten = await get('/api/search?q=climate');
    expect(ten.status).toBe(200);
    expect((ten.body.results as unknown[]).length).toBe(10);
    const one = await get('/api/search?q=climate&limit=1');
    expect((one.body.results as unknown[]).length).toBe(1);
  });

  it('refuses unknown and repeated query parameters', async () => {
    const unknown = await get('/api/search?q=climate&lmit=5');
    expect(unknown.status).toBe(400);
    expect(unknown.body.reason).toBe('querystring has an unknown key "lmit"; known keys: q, limit');
    const twice = await get('/api/search?q=climate&limit=5&limit=6');
    expect(twice.status).toBe(400);
    expect(twice.body.reason).toBe('querystring/limit is given 2 times; give it once');
    const q2 = await get('/api/search?q=a&q=b');
    expect(q2.status).toBe(400);
  });
});

describe('JSON bodies: no coercion, no unknown keys, plain numbers', () => {
  it.each([
    ['a string', '{"rating":"5"}', /body\/rating must be a whole number from 1 to 5.*got "5"/],
    ['null', '{"rating":null}', /body\/rating must be a whole number.*got null/],
    ['a boolean', '{"rating":true}', /body\/rating must be a whole number.*got true/],
    ['5.0', '{"rating":5.0}', /body\/rating: the number 5\.0 is not accepted/],
    ['5e0', '{"rating":5e0}', /body\/rating: the number 5e0 is not accepted/],
    ['1e400', '{"rating":1e400}', /body\/rating: the number 1e400 is not accepted/],
    ['an array', '{"rating":[5]}', /body\/rating must be a whole number/],
    [
      'an unknown key',
      '{"rating":5,"comment":"x"}',
      /body has an unknown key "comment"; known keys: rating/,
    ],
    ['not an object', '[5]', /body must be an object; got \[5\]/],
  ])('feedback with a rating that is %s → 400', async (_name, body, reason) => {
    const a = await send('POST', `/api/search/${NO_SEARCH}/feedback`, body);
    expect(a.status, JSON.stringify(a.body)).toBe(400);
    expect(a.body.reason).toMatch(reason);
  });

  it.each([
    [
      'value "false" (was coerced to false)',
      '{"value":"false","reason":"r"}',
      /body\/value must be a boolean/,
    ],
    ['value 0', '{"value":0,"reason":"r"}', /body\/value must be a boolean/],
    [
      'percentage null (was coerced to 0)',
      '{"percentage":null,"reason":"r"}',
      /body\/percentage must be a whole number from 0 to 100/,
    ],
    [
      'percentage "50"',
      '{"percentage":"50","reason":"r"}',
      /body\/percentage must be a whole number/,
    ],
    ['percentage 5e1', '{"percentage":5e1,"reason":"r"}', /body\/percentage: the number 5e1/],
    ['percentage 50.0', '{"percentage":50.0,"reason":"r"}', /body\/percentage: the number 50\.0/],
    ['reason 5', '{"value":false,"reason":5}', /body\/reason must be a string/],
    [
      'an unknown key (was dropped)',
      '{"value":false,"reason":"r","force":true}',
      /body has an unknown key "force"/,
    ],
    [
      'a misspelt key (was dropped)',
      '{"percent":0,"reason":"r"}',
      /body has an unknown key "percent"/,
    ],
  ])('flag change with %s → 400, flag unchanged', async (_name, body, reason) => {
    const before = (await get(FLAG)).body;
    const a = await send('PUT', FLAG, body, ADMIN);
    expect(a.status, JSON.stringify(a.body)).toBe(400);
    expect(a.body.reason).toMatch(reason);
    expect((await get(FLAG)).body).toEqual(before);
  });

  it('still takes a well-formed flag change and feedback', async () => {
    const change = await send('PUT', FLAG, '{"percentage":50,"reason":"strict test"}', ADMIN);
    expect(change.status, JSON.stringify(change.body)).toBe(200);
    const searched = await get('/api/search?q=climate');
    const id = searched.body.searchId as string;
    const rated = await send('POST', `/api/search/${id}/feedback`, '{ "rating" : 4 }');
    expect(rated.status, JSON.stringify(rated.body)).toBe(202);
  });
});

// Requests a hostile or careless client might send: any method, a known or random path, odd query
// strings, headers and bodies (malformed, huge, wrong content type).
const NUMBERISH = [
  '1',
  '5',
  '100',
  '0',
  '-1',
  '1e2',
  '0x10',
  ' 5',
  'Infinity',
  '1e400',
  'NaN',
  'null',
  'true',
  '',
  '10.0',
  '9'.repeat(30),
];
const text = fc.oneof(
  fc.constantFrom(...NUMBERISH),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('x'.repeat(3000), '%', '%zz', '%E0%A4%A', '\u0000', '../../etc/passwd'),
);
const queryPart = fc
  .array(
    fc.tuple(
      fc.constantFrom('q', 'limit', 'x', '__proto__', 'constructor', 'q[]'),
      text,
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    pairs
      .map(([k, v, raw]) => `${k}=${raw && /^[\x21-\x7e]*$/.test(v) ? v : encodeURIComponent(v)}`)
      .join('&'),
  );
const segment = fc.oneof(
  fc.constantFrom('ai-search-enabled', NO_SEARCH, 'x', '', '..', '%00', '%zz', 'a'.repeat(150)),
  fc.stringMatching(/^[A-Za-z0-9._~%-]{0,40}$/),
);
const pathPart = fc.oneof(
  fc.constant('/api/search'),
  segment.map((s) => `/api/search/${s}/feedback`),
  segment.map((s) => `/api/flags/${s}`),
  fc.constantFrom('/readyz', '/healthz', '/metrics', '/', '/api', '/api/', '//api/search'),
  segment.map((s) => `/${s}`),
);
const jsonNumberish = fc.constantFrom(
  '5',
  '5.0',
  '5e0',
  '1e400',
  '-0',
  'null',
  'true',
  '"5"',
  '[]',
  '{}',
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  jsonNumberish.map((n) => `{"rating":${n}}`),
  fc
    .tuple(
      fc.constantFrom('value', 'percentage', 'segment', 'reason', 'actor', 'extra'),
      jsonNumberish,
    )
    .map(([k, v]) => `{"reason":"fuzz","${k}":${v}}`),
  fc.constantFrom(
    '{"rating":',
    '{',
    '"',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
    'x'.repeat(10_000),
    `{"rating":5,"pad":"${'y'.repeat(5000)}"}`,
  ),
  fc.string({ maxLength: 200 }),
);
const headers = fc.record(
  {
    'x-user-id': fc.oneof(
      fc.constant('u-000001'),
      fc.string({ maxLength: 200 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    ),
    authorization: fc.constantFrom(ADMIN, 'Bearer nope', 'Bearer', 'Basic abc', ''),
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'garbage',
      '',
    ),
  },
  { requiredKeys: [] },
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: pathPart,
  query: queryPart,
  headers,
  body,
});

describe('the whole HTTP surface', () => {
  it('answers a malformed or over-long URL with the error shape', async () => {
    const bad = await svc.inject({ method: 'GET', url: '/api/search/%zz/feedback' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: 'bad_request',
      reason: "'/api/search/%zz/feedback' is not a valid url component",
    });
    const long = await svc.inject({ method: 'GET', url: `/api/flags/${'a'.repeat(150)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json().reason).toMatch(/exceeding the max param length/);
  });

  it('answers every request below 500 with a reason on every error; only the token changes flags', async () => {
    const flagsFile = path.join(dir, 'flags.json');
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const flagsBefore = readFileSync(flagsFile, 'utf8');
        const url = r.query ? `${r.path}?${r.query}` : r.path;
        const res = await svc.inject({
          method: r.method as 'GET',
          url,
          headers: Object.fromEntries(Object.entries(r.headers).filter(([, v]) => v !== '')),
          ...(r.body !== undefined ? { payload: r.body } : {}),
        });
        expect(res.statusCode, `${r.method} ${url} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400 && r.method !== 'HEAD') {
          const answer = res.json() as { error?: unknown; reason?: unknown };
          expect(typeof answer.reason, res.body).toBe('string');
        }
        if (r.headers.authorization !== ADMIN) {
          expect(readFileSync(flagsFile, 'utf8')).toBe(flagsBefore);
        }
      }),
      { numRuns: 400, seed: 20261129 },
    );
    expect(await metricSum('http_server_request_duration_count', 'code="5')).toBe(0);
  });
});

// Last: it corrupts the flag file.
describe('unauthenticated callers see no paths or file contents', () => {
  const SECRET_LOOKING = 'hunter2-internal-note';

  it('on /readyz and GET /api/flags/:key while the flag file is corrupt; the admin token sees why', async () => {
    const flagsFile = path.join(dir, 'flags.json');
    const good = readFileSync(flagsFile, 'utf8');
    writeFileSync(flagsFile, `{ "${SECRET_LOOKING}": oops`);
    try {
      const ready = await eventually(
        async () => {
          const res = await svc.inject({ method: 'GET', url: '/readyz' });
          return res.statusCode === 503 ? res.body : undefined;
        },
        { what: '/readyz 503' },
      );
      expect(JSON.parse(ready)).toEqual({
        ready: false,
        reasons: ['flags not loaded: the flag file is unreadable or invalid'],
      });
      const flag = await svc.inject({ method: 'GET', url: FLAG });
      expect(flag.statusCode).toBe(503);
      for (const leak of [ready, flag.body]) {
        expect(leak).not.toContain(dir);
        expect(leak).not.toContain(SECRET_LOOKING);
        expect(leak).not.toContain('oops');
      }
      expect(flag.json()).toEqual({
        error: 'not_ready',
        reason: 'the flag file cannot be read; send the FLAG_ADMIN_TOKEN bearer token to see why',
      });

      const wrong = await svc.inject({
        method: 'GET',
        url: '/readyz',
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.body).not.toContain(dir);
      const admin = await svc.inject({
        method: 'GET',
        url: '/readyz',
        headers: { authorization: ADMIN },
      });
      expect(admin.statusCode).toBe(503);
      expect((admin.json() as { details: string[] }).details.join(' ')).toContain(
        'flags not loaded:',
      );
      const adminFlag = await svc.inject({
        method: 'GET',
        url: FLAG,
        headers: { authorization: ADMIN },
      });
      expect(adminFlag.statusCode).toBe(503);
      expect(adminFlag.json().reason).toMatch(/^the flag file cannot be read: ./);
    } finally {
      writeFileSync(flagsFile, good);
    }
    await eventually(
      async () =>
        (await svc.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined,
      { what: '/readyz 200' },
    );
  });
});
