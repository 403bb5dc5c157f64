// npm run bench:scrape [-- --baseline DIR] — the /metrics round trip as Prometheus itself sees it,
// against a baseline in the same run.
//
// A real Prometheus scrapes, every second, three targets: `canary serve` (its /metrics), the same
// service's metrics port (`--metrics-port`: the page from a thread of its own), and a static
// server (a small node:http process) answering a copy of the same page, taken after the warm-up
// traffic. Prometheus records each scrape's duration (`scrape_duration_seconds`: the
// request, reading the page and storing its samples), so every target pays the same client, the
// same page size and the same machine; the difference is the service's own share. The service's
// render time and its own handling of the route come from its histograms over the same window.
// With `--baseline DIR`, a second `canary serve` from another tree (a checkout of an earlier
// commit, built or with its own node_modules) on the same database is scraped beside them, and
// gets the same traffic: a before/after in one run, on a machine whose idle speed varies from
// hour to hour (the static server's idle p50 read 2.5 ms in one run and 7.1 ms in another). The
// targets' scrapes are kept at least 200 ms apart in the second (see spreadScrapes).
//
// Phases: keyword traffic from a second process (autocannon, never-repeated queries), then idle
// (nothing but the scrapes, after that traffic: every scrape runs from cold caches).
//
// Environment: BENCH_DB_DIR (a folder to keep and reuse the database), BENCH_CONTACTS (50000),
// BENCH_SCRAPE_SECONDS (120: the idle phase), BENCH_TRAFFIC_SECONDS (120: the load phase; the
// issue's "after 10 minutes of traffic" is 600), BENCH_LOAD_CONNECTIONS (10; 0 skips the load).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPrometheus, type PrometheusHandle } from '../test/harness/prometheus.js';
import { eventually, freePort, launch, waitUntilReady } from '../test/harness/process.js';
import { distinctQueries } from './search-queries.js';
import { LOAD_SCRIPT, SERVE_ENV, type LoadFigures } from './support/autocannon-load.js';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 50_000);
const SECONDS = Number(process.env.BENCH_SCRAPE_SECONDS ?? 120);
const TRAFFIC_SECONDS = Number(process.env.BENCH_TRAFFIC_SECONDS ?? 120);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 10);
const TARGET_MS = 5;
const BEFORE = process.argv.includes('--baseline')
  ? path.resolve(process.argv[process.argv.indexOf('--baseline') + 1] ?? '')
  : undefined;
const run = promisify(execFile);

// The static server: the same bytes, with the headers the service sends, from a process doing nothing
// else.
const STATIC_SCRIPT = `const fs = require('node:fs'); const http = require('node:http');
const [file, port] = process.argv.slice(1); const body = fs.readFileSync(file);
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1');`;

const USER = 'bench-user';
const searchPath = (q: string) => `/api/search?q=${encodeURIComponent(q)}&limit=10`;

interface Quantiles {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

async function scrapeDurations(
  prom: PrometheusHandle,
  job: string,
  window: string,
  at: number,
): Promise<Quantiles> {
  const one = async (expr: string) => {
    const [s] = await prom.query(expr, at);
    return s?.value ?? NaN;
  };
  const series = `scrape_duration_seconds{job="${job}"}[${window}]`;
  const q = async (p: number) => 1000 * (await one(`quantile_over_time(${p}, ${series})`));
  return {
    n: await one(`count_over_time(${series})`),
    p50: await q(0.5),
    p90: await q(0.9),
    p99: await q(0.99),
    max: 1000 * (await one(`max_over_time(${series})`)),
  };
}

/** A quantile of one of the service's own histograms over the window, in ms. */
async function serviceQuantile(
  prom: PrometheusHandle,
  p: number,
  bucket: string,
  window: string,
  at: number,
): Promise<number> {
  const expr = `histogram_quantile(${p}, sum by (le) (increase(${bucket}[${window}])))`;
  const [s] = await prom.query(expr, at);
  return 1000 * (s?.value ?? NaN);
}

type Target = 'service' | 'port' | 'static' | 'before';

/** Scrapes closer than this in the second share a woken machine (the later one is faster). */
const MIN_GAP = 0.2;

/**
 * Prometheus scrapes each target at a fixed offset in the interval, from a hash of its labels. A
 * scrape that comes a few ms after another finds the machine awake: in one run the service,
 * scraped 5 ms after the static server, read 12.8 ms at p50 idle while the other tree, scraped
 * alone, read 40 ms. So the job names are changed (a number appended) until every two targets are
 * at least MIN_GAP apart in the second.
 */
async function spreadScrapes(
  prom: PrometheusHandle,
  names: readonly Target[],
  config: (attempt: number) => Parameters<PrometheusHandle['reconfigure']>[0],
): Promise<{ attempt: number; offsets: Partial<Record<Target, number>> }> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await prom.reconfigure(config(attempt));
    const offsets = await eventually(
      async () => {
        const up = await prom.query(`timestamp(up{job=~".*_${attempt}"})`);
        if (up.length < names.length) return undefined;
        const at: Partial<Record<Target, number>> = {};
        for (const u of up) at[u.metric.job!.replace(/_\d+$/, '') as Target] = u.value % 1;
        return at;
      },
      { what: 'the first scrape of every target' },
    );
    const sorted = names.map((t) => offsets[t]!).sort((x, y) => x - y);
    const gaps = sorted.map((o, i) => (i === 0 ? 1 - sorted.at(-1)! + o : o - sorted[i - 1]!));
    if (Math.min(...gaps) >= MIN_GAP || attempt === 40) return { attempt, offsets };
  }
}

const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));
const now = () => Date.now() / 1000;
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—').padStart(8);

async function main(): Promise<void> {
  const keep = process.env.BENCH_DB_DIR;
  const dataDir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'bench-scrape-'));
  mkdirSync(dataDir, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-scrape-page-'));
  const [port, metricsPort, staticPort] = [await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const serve = (root: string, servePort: number, name: string, extra: string[] = []) =>
    launch(
      process.execPath,
      [path.join(root, 'bin', 'canary.js'), 'serve', '--port', String(servePort), ...extra].concat([
        '--data-dir',
        dataDir,
        '--contacts',
        String(CONTACTS),
        '--client-rate-limit',
        '0',
      ]),
      name,
      { env: { ...process.env, ...SERVE_ENV, AI_SEARCH_LOG_LEVEL: 'warn' }, cwd: root },
    );
  const svc = serve(path.join(import.meta.dirname, '..'), port, 'canary serve', [
    '--metrics-port',
    String(metricsPort),
  ]);
  const before = BEFORE ? { port: await freePort(), url: '' } : undefined;
  if (before) before.url = `http://127.0.0.1:${before.port}`;
  let beforeSvc: ReturnType<typeof launch> | undefined;
  let staticServer: ReturnType<typeof launch> | undefined;
  let prom: PrometheusHandle | undefined;
  try {
    await waitUntilReady(`${url}/readyz`, svc, 'canary serve', 600_000);
    if (before && BEFORE) {
      // Started once the database is seeded, so the two never seed it at the same time.
      beforeSvc = serve(BEFORE, before.port, 'canary serve (--baseline)');
      await waitUntilReady(`${before.url}/readyz`, beforeSvc, 'canary serve (--baseline)', 600_000);
    }
    const queries = distinctQueries().map(searchPath);
    // Warm-up traffic, so that the page has the series a working service has.
    const targets = [url, ...(before ? [before.url] : [])];
    for (const at of targets) {
      await run(process.execPath, [
        '-e',
        LOAD_SCRIPT,
        at,
        '4',
        '5',
        USER,
        ...queries.slice(0, 4000),
      ]);
    }
    const page = Buffer.from(await (await fetch(`${url}/metrics`)).arrayBuffer());
    const pageFile = path.join(work, 'metrics');
    writeFileSync(pageFile, page);
    staticServer = launch(
      process.execPath,
      ['-e', STATIC_SCRIPT, pageFile, String(staticPort)],
      'static',
    );
    await waitUntilReady(`http://127.0.0.1:${staticPort}/metrics`, staticServer, 'static', 10_000);
    const hosts: Record<Target, string> = {
      service: `127.0.0.1:${port}`,
      port: `127.0.0.1:${metricsPort}`,
      static: `127.0.0.1:${staticPort}`,
      before: before ? `127.0.0.1:${before.port}` : '',
    };
    const names = (Object.keys(hosts) as Target[]).filter((t) => hosts[t] !== '');
    const scrapeConfig = (attempt: number) => ({
      scrapeInterval: '1s',
      scrapeTargets: names.map((t) => ({ job: `${t}_${attempt}`, targets: [hosts[t]] })),
    });
    prom = await startPrometheus(scrapeConfig(0));
    const spread = await spreadScrapes(prom, names, scrapeConfig);
    const job = (t: Target) => `${t}_${spread.attempt}`;
    const phases: { name: string; at: number; seconds: number }[] = [];
    await sleep(5000); // every target scraped a few times before the first window
    if (CONNECTIONS > 0) {
      // Each service gets its own load process, at the same time (the baseline tree's too).
      const loads = await Promise.all(
        targets.map((at) =>
          run(
            process.execPath,
            ['-e', LOAD_SCRIPT, at, String(CONNECTIONS), String(TRAFFIC_SECONDS), USER].concat(
              queries.slice(4000, 8000),
            ),
            { maxBuffer: 1 << 20 },
          ),
        ),
      );
      const f = loads.map((l) => JSON.parse(l.stdout) as LoadFigures);
      const load = `${CONNECTIONS} conn, ${f.map((x) => x.rps.toFixed(0)).join(' + ')} req/s, ${f.reduce((n, x) => n + x.bad, 0)} non-2xx or errors`;
      phases.push({ name: `under load (${load})`, at: now(), seconds: TRAFFIC_SECONDS });
    }
    await sleep(SECONDS * 1000);
    phases.push({ name: 'idle, after the load', at: now(), seconds: SECONDS });
    const pageAfter = (await (await fetch(`${url}/metrics`)).arrayBuffer()).byteLength;
    console.log(
      `\n/metrics as Prometheus scrapes it (scrape_duration_seconds, every 1 s): canary serve, ${CONTACTS} contacts, a ${(page.length / 1024).toFixed(0)} KB page (${(pageAfter / 1024).toFixed(0)} KB at the end); static: the same page from a node:http server doing nothing else; ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `${''.padEnd(44)} scrapes  p50 ms  p90 ms  p99 ms  max ms  (target p99 ≤ ${TARGET_MS} ms)`,
    );
    console.log(
      `scrape offsets in the second (kept ≥ ${MIN_GAP * 1000} ms apart, job names chosen for it): ${names
        .map((t) => `${t} .${String(Math.round(spread.offsets[t]! * 1000)).padStart(3, '0')}`)
        .join(', ')}`,
    );
    for (const { name, at, seconds } of phases) {
      const window = `${seconds - 2}s`; // the phase's own scrapes, none of the one before
      const s = await scrapeDurations(prom, job('service'), window, at);
      const m = await scrapeDurations(prom, job('port'), window, at);
      const b = await scrapeDurations(prom, job('static'), window, at);
      const o = before ? await scrapeDurations(prom, job('before'), window, at) : undefined;
      const row = (label: string, q: Quantiles, note = '') =>
        console.log(
          `${label.padEnd(44)}${String(q.n).padStart(8)}${ms(q.p50)}${ms(q.p90)}${ms(q.p99)}${ms(q.max)}${note}`,
        );
      console.log(`${name}, ${seconds} s`);
      row('  service (this tree)', s, s.p99 <= TARGET_MS ? '  met' : '  NOT met');
      row('  static (same page)', b, b.p99 <= TARGET_MS ? '  met' : '  NOT met');
      const minus = (label: string, x: Quantiles) =>
        console.log(
          `${label.padEnd(52)}${ms(x.p50 - b.p50)}${ms(x.p90 - b.p90)}${ms(x.p99 - b.p99)}`,
        );
      minus('  this tree − static', s);
      row('  its metrics port (--metrics-port)', m, m.p99 <= TARGET_MS ? '  met' : '  NOT met');
      minus('  its metrics port − static', m);
      if (o) {
        row(
          `  --baseline tree (${path.basename(BEFORE ?? '')})`,
          o,
          o.p99 <= TARGET_MS ? '  met' : '  NOT met',
        );
        minus('  --baseline tree − static', o);
      }
      for (const [target, label] of [
        ['service', 'this tree'],
        ...(o ? [['before', '--baseline tree']] : []),
      ] as [Target, string][]) {
        const inService = async (bucket: string) =>
          Promise.all([0.5, 0.9, 0.99].map((p) => serviceQuantile(prom!, p, bucket, window, at)));
        const r = await inService(`ai_search_metrics_render_duration_bucket{job="${job(target)}"}`);
        const h = await inService(
          `http_server_request_duration_bucket{job="${job(target)}",http_route="/metrics"}`,
        );
        const q3 = (v: number[]) => v.map((x) => x.toFixed(2)).join(' / ');
        console.log(
          `  ${label}, its own histograms (bucket-interpolated p50/p90/p99): render ${q3(r)} ms; handled (request to last byte written) ${q3(h)} ms`,
        );
      }
    }
  } finally {
    await prom?.stop();
    await staticServer?.stop();
    await beforeSvc?.stop();
    await svc.stop();
    rmSync(work, { recursive: true, force: true });
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
