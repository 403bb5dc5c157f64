// Mimir and Thanos sit behind a path prefix, a tenant header and auth. Every client that queries
// the metrics backend (the daemon's queries and series check, its external-label reader, the
// backtest's range queries, the ops checks) is pointed at a stub gateway that refuses a request
// outside the prefix, without the tenant header or with the wrong credentials, and records what
// it got; then the real `canary daemon` and `canary monitor-errors` run against it, and the
// secrets must not show in their output or the daemon's API.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createExternalLabelSource } from '../../src/canary/actions/external-labels.js';
import { createRangeClient } from '../../src/canary/backtest/range-query.js';
import { createPrometheusClient } from '../../src/canary/prometheus/prometheus-client.js';
import { systemClock } from '../../src/shared/clock.js';
import { requestHeaders, resolvePrometheusAccess } from '../../src/shared/prometheus-access.js';
import { openPrometheus } from '../../src/stack/ops/prometheus-client.js';
import { startAssertingBackend, type AssertingBackend } from '../fakes/asserting-backend.js';
import { eventually, freePort, launch, tail } from '../harness/index.js';
import { runCanary } from '../harness/canary-cli.js';

const TOKEN = 'tok-3f9a1c77e2b54d0a';
const PASSWORD = 'pw-b81e44c0a9';
const TENANT = { 'x-scope-orgid': 'tenant-1' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-backend-access-'));
const tokenFile = path.join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);
const passwordFile = path.join(dir, 'password');
writeFileSync(passwordFile, `${PASSWORD}\n`);
const rulesFile = path.join(dir, 'stub.rules.yml');
writeFileSync(
  rulesFile,
  [
    'groups:',
    '  - name: stub',
    '    interval: 1s',
    '    rules:',
    '      - alert: stub_ratio_high',
    '        expr: stub:ratio:rate5m > 0.1',
    '        labels: { severity: warning, action: notify_dev_team }',
    '',
  ].join('\n'),
);

let stub: AssertingBackend | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bearer = `Bearer ${TOKEN}`;
const basic = `Basic ${Buffer.from(`reader:${PASSWORD}`).toString('base64')}`;

/** The headers the CLI would send for these options. */
function headersFor(url: string, auth: 'bearer' | 'basic'): Record<string, string> {
  const r = resolvePrometheusAccess({
    url,
    urlFrom: '--prometheus-url',
    headers: ['X-Scope-OrgID: tenant-1'],
    ...(auth === 'bearer'
      ? { bearerTokenFile: tokenFile }
      : { basicAuthUser: 'reader', basicAuthPasswordFile: passwordFile }),
  });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return requestHeaders(r.access);
}

/** `canary …` without blocking this process, whose event loop serves the stub. */
function runCanaryAsync(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/canary.js', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function refused(s: AssertingBackend): string[] {
  return s.requests.filter((r) => r.refused).map((r) => `${r.method} ${r.path}: ${r.refused}`);
}

describe('every backend client sends the prefix, the tenant header and the auth', () => {
  it('the daemon client (Mimir: /prometheus prefix, bearer): queries, batches and the series check', async () => {
    stub = await startAssertingBackend({
      prefix: '/prometheus',
      requiredHeaders: TENANT,
      authorization: bearer,
      value: 0.25,
    });
    const client = createPrometheusClient({
      url: stub.url,
      headers: headersFor(stub.url, 'bearer'),
      timeoutMs: 5000,
    });
    try {
      const one = await client.query('a', Date.now());
      const many = await client.queryMany(['a', 'b', 'c'], Date.now());
      const series = await client.knownSeries(['x:y:z']);
      expect(one).toEqual({ ok: true, samples: [{ labels: {}, value: 0.25 }] });
      expect(many.map((o) => o.ok && o.samples.map((s) => s.value))).toEqual([
        [0.25],
        [0.25],
        [0.25],
      ]);
      expect(series).toEqual({ ok: true, missing: [], awaitingData: [] });
    } finally {
      client.close();
    }
    expect(refused(stub)).toEqual([]);
    expect(stub.requests.map((r) => r.path)).toEqual([
      '/prometheus/api/v1/query',
      '/prometheus/api/v1/query',
      '/prometheus/api/v1/series',
    ]);
  });

  it('a wrong token is refused and says so, naming the prefixed URL', async () => {
    stub = await startAssertingBackend({ prefix: '/prometheus', authorization: 'Bearer other' });
    const client = createPrometheusClient({
      url: stub.url,
      headers: headersFor(stub.url, 'bearer'),
      timeoutMs: 5000,
    });
    const r = await client.query('a', Date.now());
    client.close();
    expect(r.ok).toBe(false);
    // The stub echoes the header it refused, as some gateways do: the error keeps the reason and
    // the URL, never the token.
    expect(!r.ok && r.error).toContain('/prometheus/api/v1/query');
    expect(!r.ok && r.error).toContain('authorization <redacted>');
    expect(!r.ok && r.error).not.toContain(TOKEN);
  });

  it('the external-label reader, the backtest range client and the ops query (basic auth)', async () => {
    stub = await startAssertingBackend({
      prefix: '/prometheus',
      requiredHeaders: TENANT,
      authorization: basic,
      externalLabels: { cluster: 'eu-1' },
    });
    const headers = headersFor(stub.url, 'basic');
    const labels = await createExternalLabelSource({
      prometheusUrl: stub.url,
      headers,
      timeoutMs: 5000,
      clock: systemClock,
    }).get();
    expect(labels).toEqual({ cluster: 'eu-1' });
    const now = Math.floor(Date.now() / 1000) * 1000;
    const range = await createRangeClient({ url: stub.url, headers, timeoutMs: 5000 }).queryRange(
      'a',
      { startMs: now - 2000, endMs: now, stepMs: 1000 },
    );
    expect(range.ok).toBe(true);
    // The ops checks use the daemon's client (POST), opened with the same headers.
    const querier = openPrometheus(stub.url, { timeoutMs: 5000, concurrency: 1, headers });
    const ops = await querier.query('a').finally(() => querier.close());
    expect(ops.ok).toBe(true);
    expect(refused(stub)).toEqual([]);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /prometheus/api/v1/status/config',
      'POST /prometheus/api/v1/query_range',
      'POST /prometheus/api/v1/query',
    ]);
  });
});

describe('the commands against a gateway', () => {
  it('`canary daemon` evaluates through the prefix with tenant and bearer token, and never shows the token', async () => {
    stub = await startAssertingBackend({
      prefix: '/prometheus',
      requiredHeaders: TENANT,
      authorization: bearer,
      value: 0.5,
    });
    const port = await freePort();
    const daemon = launch(
      process.execPath,
      [
        'bin/canary.js',
        'daemon',
        '--rules',
        rulesFile,
        '--prometheus-url',
        stub.url,
        '--prometheus-header',
        'X-Scope-OrgID: tenant-1',
        '--prometheus-bearer-token-file',
        tokenFile,
        '--interval',
        '1s',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--data-dir',
        dir,
        '--dry-run',
      ],
      'canary-daemon',
    );
    try {
      const api = `http://127.0.0.1:${port}/api/rules`;
      const body = await eventually(
        async () => {
          if (daemon.exited()) throw new Error(`the daemon exited:\n${tail(daemon.output())}`);
          const text = await (await fetch(api)).text();
          const rule = (
            JSON.parse(text) as { rules: { name: string; value: unknown }[] }
          ).rules.find((r) => r.name === 'stub_ratio_high');
          return rule?.value === 0.5 ? text : undefined;
        },
        { what: 'the daemon to show the value the gateway answered', timeoutMs: 30_000 },
      );
      expect(refused(stub), tail(daemon.output())).toEqual([]);
      expect(stub.requests.every((r) => r.path.startsWith('/prometheus/api/v1/'))).toBe(true);
      expect(JSON.parse(body).prometheus.url).toBe(stub.url);
      expect(body).not.toContain(TOKEN);
      // The start-up log names the backend, its header names and the kind of auth, no secret.
      await daemon.stop();
      const out = daemon.output();
      expect(out).toContain('X-Scope-OrgID');
      expect(out).toContain('"auth":"bearer"');
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain('tenant-1');
    } finally {
      await daemon.stop();
    }
  });

  it('`canary daemon` notifies a Mimir Alertmanager through its prefix, with its own tenant header and basic auth', async () => {
    stub = await startAssertingBackend({ prefix: '/prometheus', value: 0.5 });
    const am = await startAssertingBackend({
      prefix: '/alertmanager',
      requiredHeaders: { 'x-scope-orgid': 'tenant-2' },
      authorization: basic,
    });
    const port = await freePort();
    const daemon = launch(
      'env',
      [
        `ALERTMANAGER_BASIC_AUTH_PASSWORD=${PASSWORD}`,
        process.execPath,
        'bin/canary.js',
        'daemon',
        ...['--rules', rulesFile, '--prometheus-url', stub.url, '--interval', '1s'],
        ...['--alertmanager-url', am.url, '--alertmanager-header', 'X-Scope-OrgID: tenant-2'],
        ...['--alertmanager-basic-auth-user', 'reader'],
        // A data folder of its own: the state of the dry-run daemon above would count as sent.
        ...['--port', String(port), '--host', '127.0.0.1', '--data-dir', path.join(dir, 'am')],
      ],
      'canary-daemon',
    );
    try {
      const posted = await eventually(
        () => {
          if (daemon.exited()) throw new Error(`the daemon exited:\n${tail(daemon.output())}`);
          return am.requests.find((r) => r.path === '/alertmanager/api/v2/alerts');
        },
        {
          what: `the daemon to notify Alertmanager (it got: ${JSON.stringify(am.requests.map((r) => `${r.path} ${r.refused}`))}; daemon: ${tail(daemon.output(), 15)})`,
          timeoutMs: 30_000,
        },
      );
      expect(refused(am), tail(daemon.output())).toEqual([]);
      expect(posted.method).toBe('POST');
      expect(JSON.parse(posted.body)[0].labels).toMatchObject({ alertname: 'stub_ratio_high' });
      // The tenant header and auth of Alertmanager go to Alertmanager only.
      expect(stub.requests.some((r) => r.headers.authorization !== undefined)).toBe(false);
      await daemon.stop();
      expect(daemon.output()).not.toContain(PASSWORD);
    } finally {
      await daemon.stop();
      await am.close();
    }
  });

  it('`canary monitor-errors` queries through the prefix with tenant and basic auth', async () => {
    stub = await startAssertingBackend({
      prefix: '/prometheus',
      requiredHeaders: TENANT,
      authorization: basic,
      value: 0,
    });
    const r = await runCanaryAsync(
      'monitor-errors',
      '--url',
      'http://127.0.0.1:9',
      '--prometheus-url',
      stub.url,
      '--prometheus-header',
      'X-Scope-OrgID: tenant-1',
      '--prometheus-basic-auth-user',
      'reader',
      '--prometheus-basic-auth-password-file',
      passwordFile,
      '--json',
    );
    expect(refused(stub)).toEqual([]);
    expect(stub.requests.length).toBeGreaterThan(0);
    // Every check was judged on an answer: none could not reach the backend.
    const report = JSON.parse(r.stdout) as { verdict: string };
    expect(report.verdict, r.stderr).not.toBe('unreachable');
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
  });
});

describe('bad backend options stop the command with what to do, and echo no secret', () => {
  const daemon = (...args: string[]) =>
    runCanary('daemon', '--rules', rulesFile, '--port', '0', '--data-dir', dir, ...args);

  it.each([
    [
      'a password inline in the URL',
      ['--prometheus-url', `http://reader:${PASSWORD}@127.0.0.1:1/prometheus`],
      /holds credentials.*--prometheus-basic-auth-user/s,
    ],
    [
      'bearer and basic auth both',
      [
        '--prometheus-bearer-token-file',
        tokenFile,
        '--prometheus-basic-auth-user',
        'reader',
        '--prometheus-basic-auth-password-file',
        passwordFile,
      ],
      /both bearer .* and basic auth .* are given: use one/,
    ],
    ['an unreadable token file', ['--prometheus-bearer-token-file', `${dir}/nope`], /ENOENT/],
    [
      'Alertmanager auth without an Alertmanager',
      ['--alertmanager-bearer-token-file', tokenFile],
      /without --alertmanager-url/,
    ],
    [
      'an Alertmanager URL with a password inline',
      ['--alertmanager-url', `http://u:${PASSWORD}@127.0.0.1:1/alertmanager`],
      /--alertmanager-url holds credentials.*--alertmanager-basic-auth-user/s,
    ],
    [
      'an API path instead of the base',
      ['--prometheus-url', 'http://127.0.0.1:1/prometheus/api/v1/query'],
      /not an API path/,
    ],
  ])('%s: exit 2', (_what, args, message) => {
    const r = daemon(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });

  it.each([
    ['Host: evil', /set by the HTTP client itself/],
    ['Authorization: Bearer x', /do not pass credentials as a header/],
    ['X-Scope-OrgID', /expected 'Name: value'/],
  ])('--prometheus-header %j is refused', (header, message) => {
    const r = daemon('--prometheus-header', header);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
