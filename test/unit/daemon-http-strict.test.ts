// The daemon's HTTP surface read strictly, on the real daemon (fake clock, scripted Prometheus,
// fake flag store) over real HTTP: `limit` has one spelling, unknown parameters and reload bodies
// are refused with a reason, and no request gets a 5xx.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawRequest } from '../harness/raw-request.js';
import {
  startTestDaemon,
  writeRules,
  ROLLBACK_RULE,
  type TestDaemon,
} from '../fakes/daemon-harness.js';

const TOKEN = 'daemon-admin-token-0123456789';
let dir = '';
let d: TestDaemon;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-http-strict-'));
  const rulesFile = path.join(dir, 'rules.yml');
  await writeRules(rulesFile, ROLLBACK_RULE);
  d = await startTestDaemon({ dir, ruleFiles: [rulesFile], options: { adminToken: TOKEN } });
});

afterAll(async () => {
  await d?.daemon.close();
  await rm(dir, { recursive: true, force: true });
});

const send = (r: RawRequest) => rawRequest(d.daemon.url, r);

describe('GET /api/actions?limit= takes whole numbers from 1 to 1000 in plain digits', () => {
  it.each([
    'Infinity',
    '1e400',
    '1e2',
    '0x10',
    '%205',
    '10.0',
    'null',
    'true',
    '',
    '0',
    '1001',
    '-0',
  ])('limit=%s → 400 with a reason', async (raw) => {
    const res = await send({ method: 'GET', path: `/api/actions?limit=${raw}` });
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text).error).toMatch(/^querystring\/limit must be .*from 1 to 1000/);
  });

  it('takes plain limits, and refuses unknown or repeated parameters', async () => {
    expect((await send({ method: 'GET', path: '/api/actions?limit=1000' })).status).toBe(200);
    expect((await send({ method: 'GET', path: '/api/actions' })).status).toBe(200);
    const unknown = await send({ method: 'GET', path: '/api/actions?lmit=5' });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error).toBe(
      'querystring has an unknown key "lmit"; known keys: limit',
    );
    expect((await send({ method: 'GET', path: '/api/actions?limit=1&limit=2' })).status).toBe(400);
    expect((await send({ method: 'GET', path: '/api/rules?verbose=1' })).status).toBe(400);
  });
});

describe('POST /-/reload', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  it('reloads with no body or {}, and refuses any other body after the token check', async () => {
    expect((await send({ method: 'POST', path: '/-/reload', headers: auth })).status).toBe(200);
    const empty = { ...auth, 'content-type': 'application/json' };
    expect(
      (await send({ method: 'POST', path: '/-/reload', headers: empty, body: '{}' })).status,
    ).toBe(200);
    const withKey = await send({
      method: 'POST',
      path: '/-/reload',
      headers: empty,
      body: '{"force":true}',
    });
    expect(withKey.status).toBe(400);
    expect(JSON.parse(withKey.text).error).toMatch(/reload takes no body/);
    const anonymous = await send({
      method: 'POST',
      path: '/-/reload',
      headers: { 'content-type': 'application/json' },
      body: '{"force":true}',
    });
    expect(anonymous.status).toBe(401);
  });
});

const text = fc.oneof(
  fc.constantFrom(
    '1',
    '1000',
    '0',
    '1e2',
    '0x10',
    ' 5',
    'Infinity',
    '1e400',
    'null',
    '',
    '%',
    '%zz',
  ),
  fc.string({ maxLength: 20 }),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom(
      '/',
      '/api/rules',
      '/api/actions',
      '/healthz',
      '/metrics',
      '/-/reload',
      '/api/nothing',
    ),
    fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,30}$/),
  ),
  query: fc
    .array(fc.tuple(fc.constantFrom('limit', 'x', '__proto__'), text), { maxLength: 3 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/xml',
    'garbage',
  ),
  auth: fc.constantFrom(undefined, `Bearer ${TOKEN}`, 'Bearer nope'),
  body: fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 2 }),
    fc.constantFrom('{', '{"limit":1e2}', '{"__proto__":{}}', 'x'.repeat(2_000_000)),
    fc.string({ maxLength: 100 }),
  ),
});

describe('the whole HTTP surface', () => {
  it('answers every request with a status below 500', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.auth) headers.authorization = r.auth;
        const p = r.query ? `${r.path}?${r.query}` : r.path;
        const res = await send({ method: r.method, path: p, headers, body: r.body });
        expect(res.status, `${r.method} ${p} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: 150, seed: 20261129 },
    );
  });
});
