import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeFiringAlerts, judgeTarget } from '../../src/stack/ops/metric-checks.js';
import { describeNetworkError } from '../../src/stack/ops/network-error.js';
import { formatProgress, judgeLoad, percentile } from '../../src/stack/ops/performance.js';
import { openPrometheus } from '../../src/stack/ops/prometheus-client.js';
import { buildReport, resolveAim } from '../../src/stack/ops/run-check.js';
import { judgeStatus, searchBodyProblem } from '../../src/stack/ops/service-checks.js';
import { ERROR_TARGETS, RESPONSE_TIME_TARGETS } from '../../src/stack/ops/targets.js';
import { exitCodeOf, formatReport, judge, unreachable } from '../../src/stack/ops/verdict.js';

const samples = (...values: number[]) => ({
  ok: true as const,
  samples: values.map((value) => ({ labels: {}, value })),
});
const target = (name: string) =>
  [...RESPONSE_TIME_TARGETS, ...ERROR_TARGETS].find((t) => t.name === name)!;

describe('judge', () => {
  it.each([
    [0.15, '<', 0.2, 'pass'],
    [0.2, '<', 0.2, 'fail'], // the target is strict: "< 200 ms"
    [0.95, '>', 0.9, 'pass'],
    [0.9, '>', 0.9, 'fail'],
    [NaN, '<', 0.2, 'no-data'],
    [undefined, '<', 0.2, 'no-data'],
  ] as const)('%s %s %s → %s', (value, op, threshold, outcome) => {
    expect(judge('x', value, op, threshold, 'seconds').outcome).toBe(outcome);
  });

  it('says what it saw in the unit of the target', () => {
    expect(judge('p95', 0.143, '<', 0.2, 'seconds')).toMatchObject({
      observed: '143 ms',
      target: '< 200 ms',
    });
    expect(judge('err', 0.0005, '<', 0.001, 'ratio').observed).toBe('0.05%');
  });
});

describe('judgeTarget (Prometheus answer against a key-metric target)', () => {
  it.each([
    ['API response time p95 (non-AI)', samples(0.12), 'pass'],
    ['API response time p95 (non-AI)', samples(0.12, 0.31), 'fail'], // the worst series decides
    ['search success rate', samples(0.97, 0.85), 'fail'],
    ['search success rate', samples(0.97), 'pass'],
    ['AI service error rate', samples(NaN), 'no-data'],
    ['AI service error rate', samples(), 'no-data'],
    ['AI service error rate', samples(Infinity), 'fail'], // +Inf is a value, not "no data"
    [
      'AI service error rate',
      { ok: false as const, kind: 'unreachable' as const, error: 'Prometheus did not answer' },
      'unreachable',
    ],
    [
      'AI service error rate',
      { ok: false as const, kind: 'error' as const, error: 'parse error' },
      'fail',
    ],
  ])('%s with %j → %s', (name, result, outcome) => {
    expect(judgeTarget(target(name), result).outcome).toBe(outcome);
  });

  it('reports a query failure with its reason', () => {
    const r = judgeTarget(target('API error rate'), {
      ok: false,
      kind: 'unreachable',
      error: 'Prometheus did not answer: 127.0.0.1:9 refused the connection',
    });
    expect(r.observed).toContain('refused the connection');
  });
});

describe("the checks read Prometheus through the daemon's client", () => {
  /** A Prometheus stand-in answering every query with `body` (HTTP `status`). */
  async function answering(status: number, body: string) {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const prometheus = openPrometheus(url, { timeoutMs: 2000 });
    return {
      query: (expr: string) => prometheus.query(expr),
      close: () => {
        prometheus.close();
        return new Promise<void>((r) => server.close(() => r()));
      },
    };
  }
  const vector = (...values: string[]) =>
    JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })),
      },
    });

  it('reads values as Prometheus writes them: +Inf, -Inf and NaN included', async () => {
    const p = await answering(200, vector('0.25', '+Inf', '-Inf', 'NaN'));
    const slow = await answering(200, vector('+Inf'));
    try {
      const r = await p.query('x');
      expect(r.ok && r.samples.map((s) => s.value)).toEqual([0.25, Infinity, -Infinity, NaN]);
      // A p95 of +Inf (every request past the last bucket) misses a latency target.
      const latency = RESPONSE_TIME_TARGETS.find((t) => t.op === '<')!;
      expect(judgeTarget(latency, await slow.query('y')).outcome).toBe('fail');
    } finally {
      await p.close();
      await slow.close();
    }
  });

  it('a refused query is a query error; a page that is not Prometheus is no reply', async () => {
    const refused = await answering(
      400,
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }),
    );
    const page = await answering(502, '<html>bad gateway</html>');
    try {
      expect(await refused.query('x(')).toMatchObject({ ok: false, kind: 'error' });
      const r = await page.query('x');
      expect(r).toMatchObject({ ok: false, kind: 'unreachable' });
      expect(!r.ok && r.error).toMatch(/^Prometheus did not answer: .*HTTP 502/);
    } finally {
      await refused.close();
      await page.close();
    }
  });
});

describe('describeNetworkError (the cause in plain words, not "fetch failed")', () => {
  const failed = (code: string) =>
    Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(code), { code }),
    });
  const url = 'http://user:secret@search.internal:3000/hooks/abc?token=x';

  it.each([
    ['ECONNREFUSED', /search\.internal:3000 refused the connection: nothing listens there/],
    ['ENOTFOUND', /host search\.internal not found/],
    ['ECONNRESET', /search\.internal:3000 closed the connection before answering/],
    [
      'UND_ERR_CONNECT_TIMEOUT',
      /could not connect to search\.internal:3000: the connection timed out/,
    ],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /TLS certificate of search\.internal:3000 was not accepted/],
    ['EWHATEVER', /cannot reach search\.internal:3000: EWHATEVER/],
  ])('%s', (code, sentence) => {
    const text = describeNetworkError(failed(code), url, 10_000);
    expect(text).toMatch(sentence);
    expect(text).not.toMatch(/secret|hooks|token|fetch failed/);
  });

  it('names the timeout it waited', () => {
    const err = Object.assign(new Error('aborted'), { name: 'TimeoutError' });
    expect(describeNetworkError(err, url, 2500)).toBe(
      'no answer from search.internal:3000 within 2500 ms',
    );
  });
});

describe('judgeFiringAlerts', () => {
  it('passes with none and names the firing ones otherwise', () => {
    expect(judgeFiringAlerts(samples()).outcome).toBe('pass');
    const r = judgeFiringAlerts({
      ok: true,
      samples: [
        { labels: { alertname: 'high_error_rate' }, value: 1 },
        { labels: { alertname: 'ai_service_failure' }, value: 1 },
      ],
    });
    expect(r).toMatchObject({ outcome: 'fail', observed: 'ai_service_failure, high_error_rate' });
  });
});

describe('performance verdict', () => {
  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile([], 95)).toBeUndefined();
  });

  it.each([
    [{ requests: 100, errors: 0, latenciesMs: Array(100).fill(50) }, ['pass', 'pass']],
    [{ requests: 100, errors: 2, latenciesMs: Array(100).fill(50) }, ['pass', 'fail']],
    [
      { requests: 100, errors: 0, latenciesMs: [...Array(90).fill(50), ...Array(10).fill(400)] },
      ['fail', 'pass'],
    ],
    [{ requests: 0, errors: 0, latenciesMs: [] }, ['no-data', 'no-data']],
  ])('%j → %j', (figures, outcomes) => {
    expect(judgeLoad(figures).map((r) => r.outcome)).toEqual(outcomes);
  });

  it('reports progress in words', () => {
    const line = formatProgress({
      elapsedSeconds: 4,
      durationSeconds: 10,
      requests: 200,
      errors: 1,
    });
    expect(line).toBe('load 4/10 s: 200 requests, 1 errors');
  });
});

describe('service checks', () => {
  const answer = (status: number | undefined, body: unknown = {}) => ({
    ok: status !== undefined && status < 300,
    status,
    ms: 12,
    body,
    error: status === undefined ? '127.0.0.1:9 refused the connection' : undefined,
  });

  it.each([
    [answer(200), 200, 'pass'],
    [answer(503), 200, 'fail'],
    [answer(undefined), 200, 'unreachable'],
    [answer(400), 400, 'pass'],
    [answer(202), 'ok', 'pass'],
  ] as const)('%j expecting %s → %s', (r, expected, outcome) => {
    expect(judgeStatus('x', r, expected).outcome).toBe(outcome);
  });

  it('names a refused connection', () => {
    expect(judgeStatus('x', answer(undefined), 200).observed).toContain('refused the connection');
  });

  it.each([
    [{ searchId: 'a', mode: 'ai', results: [] }, undefined],
    [{ mode: 'ai', results: [] }, 'no searchId in the answer'],
    [{ searchId: 'a', mode: 'llm', results: [] }, 'mode is "llm"'],
    [{ searchId: 'a', mode: 'keyword' }, 'no results list in the answer'],
    ['<html>', 'no searchId in the answer'],
  ])('search body %j → %s', (body, problem) => {
    expect(searchBodyProblem(body)).toBe(problem);
  });
});

describe('report and exit code', () => {
  const ok = judge('a', 0.1, '<', 0.2, 'seconds');
  const bad = judge('b', 0.3, '<', 0.2, 'seconds');
  const none = judge('c', undefined, '<', 0.2, 'seconds');
  const down = unreachable('d', '127.0.0.1:9 refused the connection', 'HTTP 200');

  it.each([
    [[ok], false, 0],
    [[ok, bad], false, 1],
    [[ok, none], false, 1],
    [[ok, none], true, 0],
    [[bad, none], true, 1],
    [[down], false, 3],
    [[ok, down], true, 3],
    [[bad, down], false, 1], // a missed target is news whatever else happened
  ] as const)('%#: exit %s', (results, allowNoData, code) => {
    expect(exitCodeOf(results, allowNoData)).toBe(code);
  });

  it('says when nothing could be checked, and why', () => {
    const text = formatReport('health check', [down]);
    expect(text).toMatch(/NO REPLY +d +127\.0\.0\.1:9 refused the connection/);
    expect(text).toMatch(/1 of 1 checks could not be made: no reply/);
  });

  it('--json carries the verdict, the exit code and every result', () => {
    const report = buildReport('health-check', 'health check of x', [ok, down], false);
    expect(report).toMatchObject({ check: 'health-check', exitCode: 3, verdict: 'unreachable' });
    expect(report.results.map((r) => r.outcome)).toEqual(['pass', 'unreachable']);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('prints one line per check and a summary', () => {
    const text = formatReport('response times', [ok, bad, none]);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toMatch(/PASS +a +100 ms \(target < 200 ms\)/);
    expect(text).toMatch(/FAIL +b +300 ms/);
    expect(text).toMatch(/NO DATA +c +no series/);
    expect(text).toMatch(/1 of 3 checks missed their target$/);
  });
});

describe('resolveAim (where the commands aim)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-ops-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, '.env.staging'),
    'SEARCH_URL=https://staging.example.com/\nPROMETHEUS_URL=http://prom.staging:9090\n',
  );

  it('reads .env.<name> for --env, and --url wins over it', () => {
    const saved = { s: process.env.SEARCH_URL, p: process.env.PROMETHEUS_URL };
    delete process.env.SEARCH_URL;
    delete process.env.PROMETHEUS_URL;
    try {
      expect(resolveAim({ env: 'staging' }, dir)).toMatchObject({
        serviceUrl: 'https://staging.example.com',
        prometheusUrl: 'http://prom.staging:9090',
      });
      expect(resolveAim({ env: 'staging', url: 'http://x:1' }, dir).serviceUrl).toBe('http://x:1');
    } finally {
      if (saved.s !== undefined) process.env.SEARCH_URL = saved.s;
      if (saved.p !== undefined) process.env.PROMETHEUS_URL = saved.p;
    }
  });

  it('names the missing .env file', () => {
    expect(() => resolveAim({ env: 'production' }, dir)).toThrow(/\.env\.production not found/);
  });
});
