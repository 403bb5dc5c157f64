// The simulator's wire protocol and control API over real HTTP: what the official SDKs see, the
// fault endpoint's validation, and `canary chaos`'s client.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChaosError, describeFaults, setChaos } from '../../src/llm-sim/chaos-client.js';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/server.js';
import { rawRequest } from '../harness/raw-request.js';
import { validateFilters } from '../../src/search/llm/validate-filters.js';

let sim: LlmSimulator;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startLlmSimulator({
    seed: 1,
    latency: { baseMs: 1, perOutputTokenMs: 0, jitterMs: 1 },
  });
  openai = new OpenAI({ apiKey: 'sim-key', baseURL: `${sim.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sim-key', baseURL: sim.url, maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => sim.setFaults({ errorRate: 0 }));

const put = (body: string) =>
  fetch(`${sim.url}/__control/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body,
  });

describe('control API', () => {
  it.each([
    ['not JSON', '{errorRate:', 'not valid JSON'],
    ['a rate above 1', '{"errorRate": 2}', 'errorRate'],
    ['an unknown mode', '{"errorRate": 1, "mode": "explode"}', 'mode'],
    ['an unknown provider', '{"providers": {"mistral": {"errorRate": 1}}}', 'mistral'],
    ['an unknown field', '{"errorRatio": 0.2}', 'errorRatio'],
    ['a rate as a string', '{"errorRate": "0.2"}', 'errorRate'],
    ['a null rate', '{"errorRate": null}', 'errorRate'],
    ['a boolean latency', '{"latencyMs": true}', 'latencyMs'],
    ['a latency in exponent notation', '{"latencyMs": 1e2}', 'body/latencyMs: the number 1e2'],
    ['a status written 500.0', '{"status": 500.0}', 'body/status: the number 500.0'],
    ['an infinite rate', '{"errorRate": -1e400}', 'body/errorRate: the number -1e400'],
    ['an infinite latency', '{"latencyMs": 1e400}', 'body/latencyMs: the number 1e400'],
  ])(
    'answers 400 with the reason for %s, and keeps the old faults',
    async (_name, body, reason) => {
      sim.setFaults({ errorRate: 0.5 });
      const res = await put(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(reason);
      expect(sim.getFaults()).toEqual({ errorRate: 0.5 });
    },
  );

  it('refuses query parameters on the control API, and methods other than GET on stats', async () => {
    const query = await fetch(`${sim.url}/__control/faults?errorRate=1`, {
      method: 'PUT',
      body: '{"errorRate":0.5}',
    });
    expect(query.status).toBe(400);
    expect(sim.getFaults()).toEqual({ errorRate: 0 });
    expect((await fetch(`${sim.url}/__control/stats`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await put(JSON.stringify({ errorRate: 0, pad: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
  });

  it('stores valid faults and serves them back on GET', async () => {
    const body = {
      errorRate: 0.2,
      latencyMs: 50,
      status: 529,
      providers: { anthropic: { mode: 'garbage' } },
    };
    expect((await put(JSON.stringify(body))).status).toBe(200);
    expect(await (await fetch(`${sim.url}/__control/faults`)).json()).toEqual(body);
  });
});

describe('wire protocol as the official SDKs see it', () => {
  const messages = [{ role: 'user' as const, content: '{"query":"tech reporters"}' }];

  it('OpenAI: completion with usage and x-request-id; cut at max_completion_tokens with finish_reason length', async () => {
    const { data, request_id } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(request_id).toMatch(/^req_/);
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(JSON.parse(data.choices[0]?.message.content ?? '')).toMatchObject({
      beats: ['technology'],
    });
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
    const cut = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_completion_tokens: 3,
    });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens).toBe(3);
  });

  it('OpenRouter (X-Title header or /openrouter path): usage.cost is reported; plain OpenAI has none', async () => {
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: `${sim.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'X-Title': 't' },
    });
    const res = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    expect((res.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    const viaPath = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/openrouter/v1`, maxRetries: 0 });
    const res2 = await viaPath.chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    expect((res2.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    const plain = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(plain.usage).not.toHaveProperty('cost');
  });

  it('Anthropic: message with usage and request-id; stop_reason max_tokens when cut', async () => {
    const { data, request_id } = await anthropic.messages
      .create({ model: 'claude-3-5-haiku-latest', max_tokens: 2, messages })
      .withResponse();
    expect(request_id).toMatch(/^req_/);
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: 'max_tokens',
      usage: { output_tokens: 2 },
    });
  });

  it('faults only the queries that contain `queryContains`: a model that fails on some well-formed queries', async () => {
    sim.setFaults({ errorRate: 1, mode: 'garbage', queryContains: 'Poisoned' });
    const ask = async (query: string) =>
      (
        await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: JSON.stringify({ query }) }],
        })
      ).choices[0]?.message.content ?? '';
    for (let i = 0; i < 3; i++) {
      expect(validateFilters(await ask(`poisoned climate reporters ${i}`)).ok).toBe(false);
    }
    expect(JSON.parse(await ask('climate reporters'))).toMatchObject({ beats: ['climate'] });
  });

  it('errors arrive as each SDK error class, with the provider error body', async () => {
    sim.setFaults({ errorRate: 1, status: 429, providers: { anthropic: { status: 529 } } });
    const oa = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    expect(oa).toBeInstanceOf(OpenAI.RateLimitError);
    expect(oa).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    const an = await anthropic.messages
      .create({ model: 'm', max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(an).toBeInstanceOf(Anthropic.APIError);
    expect(an).toMatchObject({ status: 529, type: 'overloaded_error' });
  });

  it('answers a request without an API key with 401 in the provider format', async () => {
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
  });

  it('answers a malformed chat request with 400 in the provider format', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'gpt-4o-mini' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});

describe('canary chaos client', () => {
  it('sets one provider without touching the global settings, and a global 0 clears everything', async () => {
    await setChaos({ url: sim.url, errorRate: 0.2, status: 503 });
    await setChaos({ url: sim.url, errorRate: 1, mode: 'garbage', provider: 'anthropic' });
    expect(sim.getFaults()).toEqual({
      errorRate: 0.2,
      status: 503,
      providers: { anthropic: { errorRate: 1, mode: 'garbage' } },
    });
    expect(describeFaults(sim.getFaults())).toContain('anthropic: 100% garbage answers');
    await setChaos({ url: sim.url, errorRate: 0 });
    expect(sim.getFaults()).toEqual({ errorRate: 0 });
  });

  it('says how to start the simulator when it is not running', async () => {
    const err = await setChaos({ url: 'http://127.0.0.1:1', errorRate: 0 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChaosError);
    expect((err as ChaosError).message).toContain('canary llm-sim');
    expect((err as ChaosError).exitCode).toBe(1);
  });
});

// Any method, path, headers and body (malformed, huge, wrong type) on the chat and control routes.
const simRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom(
      '/v1/chat/completions',
      '/openrouter/v1/chat/completions',
      '/v1/messages',
      '/__control/faults',
      '/__control/stats',
      '/__control/faults?x=1',
      '/healthz',
      '/',
    ),
    fc.stringMatching(/^\/[A-Za-z0-9._~%/?=&-]{0,30}$/),
  ),
  headers: fc.record(
    {
      authorization: fc.constantFrom('Bearer k', 'Bearer', 'Basic x'),
      'x-api-key': fc.constantFrom('k', ''),
      'x-title': fc.constant('t'),
      'content-type': fc.constantFrom('application/json', 'text/plain', 'garbage'),
    },
    { requiredKeys: [] },
  ),
  body: fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 3 }),
    fc
      .record(
        {
          model: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(5)),
          messages: fc.oneof(
            fc.constant([{ role: 'user', content: '{"query":"tech reporters"}' }]),
            fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 2 }),
          ),
          max_tokens: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
          stream: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .map((b) => JSON.stringify(b)),
    fc.constantFrom('{', '{"errorRate":1e400}', '{"latencyMs":1e2}', 'x'.repeat(1_100_000)),
    fc.string({ maxLength: 100 }),
  ),
});

describe('the whole HTTP surface', () => {
  it('answers every request with a status below 500 while no fault is set', async () => {
    await fc.assert(
      fc.asyncProperty(simRequest, async (r) => {
        sim.setFaults({ errorRate: 0 });
        const res = await rawRequest(sim.url, {
          method: r.method,
          path: r.path,
          headers: Object.fromEntries(Object.entries(r.headers).filter(([, v]) => v !== '')),
          ...(r.body !== undefined ? { body: r.body } : {}),
        });
        expect(res.status, `${r.method} ${r.path} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: 150, seed: 20261129 },
    );
  });
});
