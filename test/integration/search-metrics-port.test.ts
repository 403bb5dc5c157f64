// The metrics port: /metrics from a thread of its own (src/search/http/metrics-port.ts), over real
// HTTP, with the real worker thread, a real SQLite file and a real Prometheus scraping it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsPort } from '../../src/search/http/metrics-port.js';
import { MAX_CONNECTIONS } from '../../src/search/http/metrics-port-protocol.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { pageOf } from '../../src/search/metrics.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { eventually, freePort, startPrometheus, which } from '../harness/index.js';

const REFRESH_MS = 50;
const STALE_AFTER_MS = 400;
let dir = '';
let svc: RunningService;

const config = (extra: Record<string, string> = {}) =>
  loadConfig({
    DATA_DIR: dir,
    AI_SEARCH_LOG_LEVEL: 'silent',
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'false',
    ...extra,
  });

const families = (page: string) =>
  new Set(page.split('\n').flatMap((l) => (l.startsWith('# TYPE ') ? [l.split(' ')[2]] : [])));

const keywordSearches = (page: string) =>
  page
    .split('\n')
    .filter(
      (l) => l.startsWith('ai_search_searches_total{') && l.includes('ai_search_mode="keyword"'),
    )
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

async function search(q: string): Promise<void> {
  const res = await fetch(`${svc.url}/api/search?q=${encodeURIComponent(q)}`, {
    headers: { 'x-user-id': 'u-009000' },
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'metrics-port-'));
  svc = await startService({
    config: config(),
    port: 0,
    metricsPort: 0,
    metricsPortTiming: { refreshMs: REFRESH_MS, staleAfterMs: STALE_AFTER_MS },
    contacts: 2000,
    users: 500,
    clientRateLimit: false,
  });
});

afterAll(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the metrics port', () => {
  it("serves the main port's page with its age, valid for promtool, and a search within a refresh", async () => {
    expect(svc.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const before = keywordSearches(await (await fetch(svc.metricsUrl!)).text());
    await search('climate');
    await search('health editors');
    const res = await eventually(
      async () => {
        const r = await fetch(svc.metricsUrl!);
        const text = await r.text();
        return keywordSearches(text) === before + 2 ? { r, text } : undefined;
      },
      { what: 'the two searches on the metrics port', intervalMs: REFRESH_MS },
    );
    expect(res.r.status).toBe(200);
    expect(res.r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(res.r.headers.get('content-length'))).toBe(Buffer.byteLength(res.text));
    const main = await (await fetch(`${svc.url}/metrics`)).text();
    expect(families(res.text)).toEqual(
      new Set([...families(main), 'ai_search_metrics_page_age_seconds']),
    );
    const age = Number(/^ai_search_metrics_page_age_seconds (\S+)$/m.exec(res.text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(STALE_AFTER_MS / 1000);
    const promtool = which('promtool');
    expect(promtool, 'promtool comes with the Debian package prometheus').toBeDefined();
    execFileSync(promtool!, ['check', 'metrics'], { input: res.text });
  });

  it('is scraped by a real Prometheus: up = 1, the page age and the searches as counted', async () => {
    const target = new URL(svc.metricsUrl!).host;
    const prom = await startPrometheus({
      scrapeTargets: [{ job: 'metrics-port', targets: [target], scrapeInterval: '1s' }],
    });
    try {
      await search('sports in Madrid');
      const counted = keywordSearches(await (await fetch(`${svc.url}/metrics`)).text());
      await eventually(
        async () => {
          const [up] = await prom.query('up{job="metrics-port"}');
          const [n] = await prom.query(
            'sum(ai_search_searches_total{job="metrics-port",ai_search_mode="keyword"})',
          );
          return up?.value === 1 && n?.value === counted ? true : undefined;
        },
        { what: 'Prometheus to scrape the metrics port' },
      );
      const [age] = await prom.query('ai_search_metrics_page_age_seconds{job="metrics-port"}');
      expect(age?.value).toBeLessThan(STALE_AFTER_MS / 1000);
    } finally {
      await prom.stop();
    }
  });

  it('answers 503 with the reason while the main thread is stuck, and 200 once it runs', async () => {
    // Blocks this (the service's main) thread: a child process waits past STALE_AFTER_MS, then
    // scrapes the metrics port, which has had no page since the block began.
    const script = `setTimeout(async () => {
      const r = await fetch(process.argv[1]);
      process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() }));
    }, ${STALE_AFTER_MS * 2});`;
    const out = execFileSync(process.execPath, ['-e', script, svc.metricsUrl!], {
      encoding: 'utf8',
    });
    const stuck = JSON.parse(out) as { status: number; text: string };
    expect(stuck.status).toBe(503);
    expect(stuck.text).toMatch(
      /the metrics page is [\d.]+ s old: the service's main thread has not written one for over 0.4 s/,
    );
    await eventually(
      async () => ((await fetch(svc.metricsUrl!)).status === 200 ? true : undefined),
      {
        what: 'the metrics port to serve again',
        intervalMs: REFRESH_MS,
      },
    );
  });

  it('answers only GET and HEAD /metrics: 404 elsewhere, 405 with Allow for other methods', async () => {
    const base = svc.metricsUrl!;
    const head = await fetch(base, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(10_000);
    expect((await fetch(`${base}?x=1`)).status).toBe(200);
    const post = await fetch(base, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const other = await fetch(base.replace('/metrics', '/api/search?q=x'));
    expect(other.status).toBe(404);
    expect(await other.text()).toContain('this port serves GET /metrics only');
  });
});

describe('one client cannot exhaust it', () => {
  it(`keeps at most ${MAX_CONNECTIONS} connections: the next is closed at once, and scrapes work again after`, async () => {
    const { hostname, port } = new URL(svc.metricsUrl!);
    // A connection that is answered stays open (keep-alive); one over the limit is closed.
    const scrapeOnNewConnection = (): Promise<{ socket: Socket; answered: boolean }> =>
      new Promise((resolve) => {
        const socket = connect(Number(port), hostname, () =>
          socket.write('HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n'),
        );
        socket.once('data', () => resolve({ socket, answered: true }));
        socket.once('close', () => resolve({ socket, answered: false }));
        socket.once('error', () => {}); // a reset shows as the close above
      });
    const held: Socket[] = [];
    let refused = false;
    try {
      // This test's own earlier fetches may hold a few keep-alive connections too.
      while (held.length <= MAX_CONNECTIONS) {
        const { socket, answered } = await scrapeOnNewConnection();
        if (!answered) {
          refused = true;
          break;
        }
        held.push(socket);
      }
      expect(refused).toBe(true);
      expect(held.length).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(held.length).toBeGreaterThan(MAX_CONNECTIONS - 10);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await eventually(
      async () => ((await fetch(svc.metricsUrl!)).status === 200 ? true : undefined),
      { what: 'a scrape once the connections are closed' },
    );
  });
});

describe('starting and stopping it', () => {
  it('a taken port fails the start with the reason, and leaves the main port closed', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const metricsPort = (taken.address() as { port: number }).port;
    const port = await freePort();
    try {
      await expect(
        startService({ config: config(), port, metricsPort, contacts: 2000, users: 500 }),
      ).rejects.toThrow(/the metrics port could not listen: .*EADDRINUSE/);
      // Whatever had started was closed again: the main port is free.
      const probe: Server = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('close() stops the thread and frees its port', async () => {
    const other = await startService({
      config: config(),
      port: 0,
      metricsPort: 0,
      contacts: 2000,
      users: 500,
    });
    const url = other.metricsUrl!;
    expect((await fetch(url)).status).toBe(200);
    await other.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('the thread on its own (startMetricsPort, pages written by the test)', () => {
  const crashing = new URL('../fixtures/crashing-metrics-port.ts', import.meta.url);
  const page = (text: string, contentType = 'text/plain; version=0.0.4; charset=utf-8') =>
    pageOf(200, contentType, [Buffer.from(text)], 0);
  const logs = () => {
    const lines: { level: number; msg: string }[] = [];
    const destination = { write: (s: string) => void lines.push(JSON.parse(s)) };
    return { lines, logger: createLogger({ name: 't', level: 'info', destination }) };
  };

  it('a thread that dies is logged and started again on the same port, serving new pages', async () => {
    const { lines, logger } = logs();
    let next = page('up 1\n');
    const port = await startMetricsPort({
      render: async () => next,
      port: 0,
      host: '127.0.0.1',
      logger,
      refreshMs: REFRESH_MS,
      workerUrl: crashing,
    });
    try {
      expect(await (await fetch(port.url)).text()).toMatch(/^up 1\n/);
      next = page('up 2\n', 'crash-now');
      await eventually(
        () => lines.find((l) => l.msg.includes('thread exited; starting it again')),
        {
          what: 'the exit to be logged',
        },
      );
      next = page('up 3\n');
      await eventually(
        async () =>
          (await (await fetch(port.url)).text()).startsWith('up 3\n') ? true : undefined,
        { what: 'the new thread to serve the next page' },
      );
    } finally {
      await port.close();
    }
    await expect(fetch(port.url)).rejects.toThrow();
  });

  it('a page that cannot be written is logged once; the last one is served until it is stale', async () => {
    const { lines, logger } = logs();
    let failing = false;
    let renders = 0;
    const port = await startMetricsPort({
      render: async () => {
        renders += 1;
        if (failing) throw new Error('render broke');
        return page('up 1\n');
      },
      port: 0,
      host: '127.0.0.1',
      logger,
      refreshMs: REFRESH_MS,
      staleAfterMs: STALE_AFTER_MS,
    });
    try {
      failing = true;
      const failedFrom = renders;
      // Served from the last page while it is young enough, then refused.
      const refused = await eventually(
        async () => {
          const r = await fetch(port.url);
          return r.status === 503 ? r.text() : undefined;
        },
        { what: 'the stale page to be refused', intervalMs: REFRESH_MS },
      );
      expect(refused).toContain('has not written one for over 0.4 s');
      expect(renders - failedFrom).toBeGreaterThan(3);
      const errors = lines.filter((l) => l.msg.includes('could not write the metrics page'));
      expect(errors).toHaveLength(1);
      failing = false;
      await eventually(async () => ((await fetch(port.url)).status === 200 ? true : undefined), {
        what: 'pages again',
        intervalMs: REFRESH_MS,
      });
      expect(lines.some((l) => l.msg === 'the metrics page is written again')).toBe(true);
    } finally {
      await port.close();
    }
  });

  it('with monitoring off it answers the same 503 as the main port', async () => {
    const off = await startService({
      config: config({ ENABLE_AI_SEARCH_MONITORING: 'false' }),
      port: 0,
      metricsPort: 0,
      contacts: 2000,
      users: 500,
    });
    try {
      const [main, port] = await Promise.all([fetch(`${off.url}/metrics`), fetch(off.metricsUrl!)]);
      expect([port.status, await port.text()]).toEqual([main.status, await main.text()]);
      expect(port.status).toBe(503);
    } finally {
      await off.close();
    }
  });
});
