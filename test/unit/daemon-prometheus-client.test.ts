// The Prometheus client against a tiny local HTTP server that answers what each case needs:
// data, no data, errors and garbage must come out as different outcomes with actionable messages.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient } from '../../src/canary/prometheus/prometheus-client.js';
import { BATCH_LABEL, batchExpr } from '../../src/canary/prometheus/query-batch.js';

type Reply = { status: number; body: string; delayMs?: number; hangUp?: boolean };
let reply: Reply | ((params: URLSearchParams) => Reply) = { status: 200, body: '' };
let lastUrl = '';
let lastParams = new URLSearchParams();
let requests = 0;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      lastUrl = req.url ?? '';
      lastParams = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const r = typeof reply === 'function' ? reply(lastParams) : reply;
      const send = () =>
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
      if (r.hangUp) return void req.socket.destroy();
      if (r.delayMs) setTimeout(send, r.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const vector = (result: unknown[]) =>
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });

describe('query outcomes', () => {
  const cases: { name: string; reply: Reply; expect: Record<string, unknown>; message?: RegExp }[] =
    [
      {
        name: 'a vector with values, NaN and +Inf',
        reply: {
          status: 200,
          body: vector([
            { metric: { job: 'a' }, value: [1, '0.25'] },
            { metric: { job: 'b' }, value: [1, 'NaN'] },
            { metric: { job: 'c' }, value: [1, '+Inf'] },
          ]),
        },
        expect: {
          ok: true,
          samples: [
            { labels: { job: 'a' }, value: 0.25 },
            { labels: { job: 'b' }, value: NaN },
            { labels: { job: 'c' }, value: Infinity },
          ],
        },
      },
      {
        name: 'no data is an empty vector, not an error',
        reply: { status: 200, body: vector([]) },
        expect: { ok: true, samples: [] },
      },
      {
        name: 'Prometheus status:error is a query error',
        reply: {
          status: 400,
          body: JSON.stringify({
            status: 'error',
            errorType: 'bad_data',
            error: 'parse error at char 3',
          }),
        },
        expect: { ok: false, kind: 'error' },
        message: /refused the query \(HTTP 400, bad_data\): parse error at char 3/,
      },
      {
        name: 'HTTP 500 with a text body is a query error',
        reply: { status: 500, body: 'internal' },
        expect: { ok: false, kind: 'error' },
        message: /answered HTTP 500: internal/,
      },
      {
        name: 'HTML from a proxy is garbage',
        reply: { status: 200, body: '<html>login</html>' },
        expect: { ok: false, kind: 'garbage' },
        message: /not JSON.*really Prometheus/,
      },
      {
        name: 'JSON without status is garbage',
        reply: { status: 200, body: '{"hello":1}' },
        expect: { ok: false, kind: 'garbage' },
      },
      {
        name: 'a matrix is garbage for an alert',
        reply: {
          status: 200,
          body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
        },
        expect: { ok: false, kind: 'garbage' },
        message: /answered a matrix, but an alert expression must give an instant vector/,
      },
      {
        name: 'a vector element without a value is garbage',
        reply: { status: 200, body: vector([{ metric: {} }]) },
        expect: { ok: false, kind: 'garbage' },
      },
      {
        name: 'a non-numeric value is garbage',
        reply: { status: 200, body: vector([{ metric: {}, value: [1, 'abc'] }]) },
        expect: { ok: false, kind: 'garbage' },
      },
    ];
  for (const c of cases) {
    it(c.name, async () => {
      reply = c.reply;
      const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).query(
        'up',
        1_700_000_000_000,
      );
      expect(r).toMatchObject(c.expect);
      if (!r.ok) {
        expect(r.error).toContain(`${base}/api/v1/query`);
        if (c.message) expect(r.error).toMatch(c.message);
      }
    });
  }

  it('queries at the slot time, in seconds', async () => {
    reply = { status: 200, body: vector([]) };
    await createPrometheusClient({ url: base, timeoutMs: 2000 }).query('up > 1', 1_700_000_015_000);
    const params = lastParams;
    expect(lastUrl).toBe('/api/v1/query');
    expect(params.get('time')).toBe('1700000015.000');
    expect(params.get('query')).toBe('up > 1');
  });

  it('a slow Prometheus is a timeout error naming the option', async () => {
    reply = { status: 200, body: vector([]), delayMs: 1500 };
    const r = await createPrometheusClient({ url: base, timeoutMs: 100 }).query('up', 0);
    expect(r).toMatchObject({ ok: false, kind: 'error' });
    expect(!r.ok && r.error).toMatch(/did not answer within 100 ms \(--query-timeout\)/);
  });

  it('connection refused says so, and never shows credentials from the URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await createPrometheusClient({
      url: `http://admin:s3cret@127.0.0.1:${port}`,
      timeoutMs: 1000,
    }).query('up', 0);
    expect(r).toMatchObject({ ok: false, kind: 'error' });
    expect(!r.ok && r.error).toMatch(/refused the connection — is Prometheus running/);
    expect(!r.ok && r.error).not.toContain('s3cret');
  });

  it('a connection Prometheus closes is named in plain words and classified by its code', async () => {
    reply = { status: 200, body: vector([]), hangUp: true };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).query('up', 0);
    expect(r).toMatchObject({ ok: false, kind: 'error', cause: 'closed' });
    expect(!r.ok && r.error).toMatch(/Prometheus closed the connection before answering/);
  });
});

describe('knownSeries', () => {
  it('lists the names Prometheus has no series for', async () => {
    let seriesParams = new URLSearchParams();
    reply = (params) => {
      if (lastUrl.startsWith('/api/v1/series')) seriesParams = params;
      return { status: 200, body: JSON.stringify({ status: 'success', data: [] }) };
    };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).knownSeries(['a:b:c']);
    expect(r).toEqual({ ok: true, missing: ['a:b:c'], awaitingData: [] });
    expect(seriesParams.get('match[]')).toBe('{__name__="a:b:c"}');
  });

  it('tells an expected absence (its recording rule runs) from rules that are not loaded', async () => {
    const rules = JSON.stringify({
      status: 'success',
      data: {
        groups: [
          {
            rules: [
              { type: 'recording', name: 'cost:baseline:1h', health: 'ok' },
              { type: 'recording', name: 'broken:rule:1h', health: 'err' },
            ],
          },
        ],
      },
    });
    const empty = JSON.stringify({ status: 'success', data: [] });
    reply = () =>
      lastUrl.startsWith('/api/v1/rules')
        ? { status: 200, body: rules }
        : { status: 200, body: empty };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).knownSeries([
      'cost:baseline:1h',
      'broken:rule:1h',
      'not:loaded:5m',
    ]);
    expect(r).toEqual({
      ok: true,
      missing: ['broken:rule:1h', 'not:loaded:5m'],
      awaitingData: ['cost:baseline:1h'],
    });
    expect(lastUrl).toBe('/api/v1/rules?type=record');
  });

  it('counts every absent series as missing when Prometheus cannot list its rules', async () => {
    const empty = JSON.stringify({ status: 'success', data: [] });
    reply = () =>
      lastUrl.startsWith('/api/v1/rules')
        ? { status: 404, body: 'not found' }
        : { status: 200, body: empty };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).knownSeries(['a:b:c']);
    expect(r).toEqual({ ok: true, missing: ['a:b:c'], awaitingData: [] });
  });
  it('reports an unreachable Prometheus as a failure, not as "all missing"', async () => {
    reply = { status: 503, body: 'unavailable' };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).knownSeries(['a:b:c']);
    expect(r).toMatchObject({ ok: false, kind: 'error' });
  });
});

describe('queryMany (batched)', () => {
  const exprs = ['a > 1', 'b > 1', 'c > 1'];

  it('sends one request for many expressions and splits the answer back per expression', async () => {
    requests = 0;
    reply = (p) => {
      expect(p.get('query')).toBe(batchExpr(exprs));
      return {
        status: 200,
        body: vector([
          { metric: { __name__: 'a', job: 'x', [BATCH_LABEL]: '0' }, value: [1, '2'] },
          { metric: { __name__: 'c', job: 'y', [BATCH_LABEL]: '2' }, value: [1, '3'] },
        ]),
      };
    };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).queryMany(exprs, 0);
    expect(requests).toBe(1);
    expect(r).toEqual([
      { ok: true, samples: [{ labels: { __name__: 'a', job: 'x' }, value: 2 }] },
      { ok: true, samples: [] },
      { ok: true, samples: [{ labels: { __name__: 'c', job: 'y' }, value: 3 }] },
    ]);
  });

  it('a batch Prometheus refuses is re-run per expression, so the error lands on the rule that caused it', async () => {
    requests = 0;
    reply = (p) => {
      const q = p.get('query') ?? '';
      if (q.includes(' or ') || q === 'b > 1')
        return {
          status: 422,
          body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'bad b' }),
        };
      return { status: 200, body: vector([{ metric: {}, value: [1, '5'] }]) };
    };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).queryMany(exprs, 0);
    expect(requests).toBe(4);
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
    expect(!r[1]!.ok && r[1]!.error).toMatch(/bad b/);
  });

  it('an unreachable or garbage-answering Prometheus fails every expression of the batch, without a retry storm', async () => {
    requests = 0;
    reply = { status: 200, body: 'not json' };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).queryMany(exprs, 0);
    expect(requests).toBe(1);
    expect(r.map((x) => !x.ok && x.kind)).toEqual(['garbage', 'garbage', 'garbage']);
  });

  it('splits into batches of batchSize', async () => {
    requests = 0;
    reply = { status: 200, body: vector([]) };
    const many = Array.from({ length: 7 }, (_, i) => `m${i} > 0`);
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000, batchSize: 3 }).queryMany(
      many,
      0,
    );
    expect(requests).toBe(3);
    expect(r).toHaveLength(7);
  });

  const slowB = (p: URLSearchParams): Reply => {
    const q = p.get('query') ?? '';
    // Any request that contains b is slow; every other answers at once.
    if (q.includes('b > 1')) return { status: 200, body: vector([]), delayMs: 3000 };
    return { status: 200, body: vector([{ metric: {}, value: [1, '5'] }]) };
  };

  it('a batch that times out is re-run per expression: only the slow one fails', async () => {
    requests = 0;
    reply = slowB;
    const r = await createPrometheusClient({ url: base, timeoutMs: 200 }).queryMany(exprs, 0);
    expect(requests).toBe(4);
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
    expect(r[1]).toMatchObject({ ok: false, cause: 'timeout' });
  });

  it("a batch Prometheus's own query timeout stops is re-run per expression too", async () => {
    requests = 0;
    reply = (p) =>
      (p.get('query') ?? '').includes('b > 1')
        ? {
            status: 503,
            body: JSON.stringify({
              status: 'error',
              errorType: 'timeout',
              error: 'query timed out in expression evaluation',
            }),
          }
        : { status: 200, body: vector([{ metric: {}, value: [1, '5'] }]) };
    const r = await createPrometheusClient({ url: base, timeoutMs: 2000 }).queryMany(exprs, 0);
    expect(requests).toBe(4);
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
    expect(r[1]).toMatchObject({ ok: false, cause: 'timeout' });
  });

  it('the budget bounds the whole call, retries included', async () => {
    reply = slowB;
    const client = createPrometheusClient({ url: base, timeoutMs: 10_000 });
    const started = performance.now();
    const r = await client.queryMany(exprs, 0, { budgetMs: 400 });
    const took = performance.now() - started;
    // The batch times out at the budget; the retries get what is left of it (nothing).
    expect(took).toBeLessThan(1500);
    expect(r[1]).toMatchObject({ ok: false, cause: 'timeout' });
    expect(!r[1]!.ok && r[1]!.error).toMatch(/group's interval/);
  });
});
