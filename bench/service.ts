// npm run bench:service — throughput and latency of the search service at 50,000 contacts, and
// what telemetry costs. Two in-process services on free ports share one database: one with
// monitoring on, one off, measured in alternating short slices in the same run (medians), so a busy
// moment of the machine affects both alike. autocannon runs in a worker thread.
// Targets (issue 3): keyword p99 ≤ 20 ms; telemetry ≤ 5% of throughput; /metrics ≤ 5 ms.
// Knobs: BENCH_CONTACTS, BENCH_SECONDS (per slice), BENCH_ROUNDS, BENCH_CONNECTIONS.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { startLlmSimulator } from '../src/llm-sim/index.js';
import { openContactsStore } from '../src/search/contacts/store.js';
import { DEFAULT_USERS, startService, type RunningService } from '../src/search/main.js';
import { createServiceMetrics } from '../src/search/metrics.js';
import { loadConfig } from '../src/shared/config.js';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const QUERIES = [
  'climate reporters in Berlin',
  'technology editor',
  'health journalists London',
  'sports Madrid',
  'finance correspondents New York',
  'artificial intelligence startups',
  'Müller',
  'fashion Paris columnist',
  'energy Germany',
  'gaming podcaster Tokyo',
];

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** CPU time of this process (servers and load generator) per request, µs: less sensitive than
   *  req/s to how much of the shared machine the run happened to get. */
  cpuUs: number;
}

async function load(
  url: string,
  userId: string,
  connections: number,
  seconds: number,
): Promise<Figures> {
  const cpu = process.cpuUsage();
  const r = await autocannon({
    url,
    connections,
    workers: 1,
    duration: seconds,
    headers: { 'x-user-id': userId },
    requests: QUERIES.map((q) => ({
      method: 'GET',
      path: `/api/search?q=${encodeURIComponent(q)}&limit=10`,
    })),
  });
  const used = process.cpuUsage(cpu);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
    cpuUs: (used.user + used.system) / Math.max(1, r.requests.total),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function medians(runs: Figures[]): Figures {
  const m = (k: keyof Figures) => median(runs.map((r) => r[k]));
  return {
    rps: m('rps'),
    p50: m('p50'),
    p99: m('p99'),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    cpuUs: m('cpuUs'),
  };
}

async function metricsRoundTrip(
  url: string,
  n = 300,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    bytes = (await (await fetch(`${url}/metrics`)).text()).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)]!, p99: times[Math.floor(n * 0.99)]!, bytes };
}

/** What the instrument updates of one keyword search cost, in microseconds (no HTTP, no I/O). */
function instrumentationMicros(): number {
  const m = createServiceMetrics({
    enabled: true,
    costTracking: true,
    providers: [{ name: 'openai', model: 'gpt-4o-mini' }],
    flags: ['ai-search-enabled'],
  });
  const n = 100_000;
  const one = () => {
    m.recordDb('get_user', 0.00001);
    m.recordFlag('ai-search-enabled', 'off', 'public');
    m.recordDb('keyword_search', 0.0005);
    m.recordSearch('keyword', 'success', 0.001);
    m.recordHttp('/api/search', 'GET', 200, 0.002);
  };
  for (let i = 0; i < 10_000; i++) one();
  const t = performance.now();
  for (let i = 0; i < n; i++) one();
  return ((performance.now() - t) / n) * 1000;
}

const row = (name: string, setting: string, f: Figures) =>
  `${name.padEnd(22)}${setting.padEnd(12)}${f.rps.toFixed(0).padStart(7)}${f.p50.toFixed(1).padStart(9)}${f.p99.toFixed(1).padStart(8)}${String(f.non2xx).padStart(9)}${f.cpuUs.toFixed(0).padStart(12)}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-service-'));
  const sim = await startLlmSimulator({ port: 0, seed: 3 });
  const logger = pino({ level: 'warn' });
  const config = (monitoring: boolean) =>
    loadConfig({
      DATA_DIR: dir,
      LLM_SIM_URL: sim.url,
      NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
      NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '0',
      AI_SEARCH_INTERNAL_USERS: 'true',
      AI_SEARCH_RATE_LIMIT: '0', // the bench measures the search, not the per-user quota
      AI_SEARCH_CLIENT_CALL_SHARE: '0', // nor each client's share of LLM calls
      ENABLE_AI_SEARCH_MONITORING: String(monitoring),
    });
  const started: RunningService[] = [];
  try {
    // Seed first, alone: a service whose own connection wrote the data reads it faster, which
    // would bias the on/off comparison toward whichever service seeded.
    const seedStart = performance.now();
    openContactsStore({
      file: path.join(dir, 'contacts.sqlite'),
      contacts: CONTACTS,
      users: DEFAULT_USERS,
    }).store.close();
    const seedMs = performance.now() - seedStart;
    const on = await startService({
      config: config(true),
      port: 0,
      contacts: CONTACTS,
      logger,
      clientRateLimit: false,
    });
    started.push(on);
    const off = await startService({
      config: config(false),
      port: 0,
      contacts: CONTACTS,
      logger,
      clientRateLimit: false,
    });
    started.push(off);
    const publicUser = on.store.usersInSegment('public', 1)[0]!;
    const internalUser = on.store.usersInSegment('internal-users', 1)[0]!;
    // Warm the query-understanding caches so the AI runs measure cache hits only.
    for (const svc of [on, off]) {
      for (const q of QUERIES)
        await fetch(`${svc.url}/api/search?q=${encodeURIComponent(q)}`, {
          headers: { 'x-user-id': internalUser },
        });
    }
    const scenarios = [
      ['keyword', publicUser],
      ['ai (cache hits)', internalUser],
    ] as const;
    const results = new Map(
      scenarios.map(([name]) => [name, { on: [] as Figures[], off: [] as Figures[] }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, user] of scenarios) {
        const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        const runs = results.get(name)!;
        for (const s of order) {
          runs[s].push(await load(s === 'on' ? on.url : off.url, user, CONNECTIONS, SECONDS));
        }
      }
    }
    const single = await load(on.url, publicUser, 1, 5);
    const render = await metricsRoundTrip(on.url);
    const micros = instrumentationMicros();

    console.log(
      `\nsearch service bench: ${CONTACTS} contacts (seeded in ${Math.round(seedMs)} ms); ${ROUNDS} alternating ${SECONDS}s slices per setting, ${CONNECTIONS} connections; medians`,
    );
    console.log(
      `machine load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores\n`,
    );
    console.log(
      `${'scenario'.padEnd(22)}${'monitoring'.padEnd(12)}  req/s   p50 ms  p99 ms  non-2xx  CPU µs/req`,
    );
    for (const [name, r] of results) {
      const fOn = medians(r.on);
      const fOff = medians(r.off);
      console.log(row(name, 'on', fOn));
      console.log(row(name, 'off', fOff));
      console.log(
        `${''.padEnd(22)}telemetry overhead: ${((1 - fOn.rps / fOff.rps) * 100).toFixed(1)}% of throughput, ${((fOn.cpuUs / fOff.cpuUs - 1) * 100).toFixed(1)}% CPU per request (target ≤ 5%)`,
      );
    }
    console.log(row('keyword, 1 connection', 'on', single));
    const keywordOn = medians(results.get('keyword')!.on);
    console.log(
      `\ninstrument updates per keyword search: ${micros.toFixed(1)} µs in-process = ${((micros * keywordOn.rps) / 1e4).toFixed(2)}% of the time per request at ${keywordOn.rps.toFixed(0)} req/s`,
    );
    console.log(
      `GET /metrics round trip: p50 ${render.p50.toFixed(2)} ms, p99 ${render.p99.toFixed(2)} ms, ${render.bytes} bytes (target ≤ 5 ms)`,
    );
    console.log(
      `keyword p99: ${keywordOn.p99.toFixed(1)} ms at ${CONNECTIONS} connections, ${single.p99.toFixed(1)} ms at 1 (target ≤ 20 ms)\n`,
    );
  } finally {
    for (const s of started) await s.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
