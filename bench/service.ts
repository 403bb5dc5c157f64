// npm run bench:service — throughput and latency of the search service at 50,000 contacts, and
// what telemetry costs: two in-process services on free ports, one with monitoring on and one
// off, measured alternately in the same run so the machine's load affects both alike.
// Targets (issue 3): keyword p99 ≤ 20 ms; telemetry ≤ 5% of throughput; /metrics ≤ 5 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { startLlmSimulator } from '../src/llm-sim/index.js';
import { startService, type RunningService } from '../src/search/main.js';
import { loadConfig } from '../src/shared/config.js';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
const ROUNDS = 2;
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
}

async function load(url: string, userId: string): Promise<Figures> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    // The load generator runs in its own thread, so it does not compete with the servers' event loop.
    workers: 1,
    duration: SECONDS,
    headers: { 'x-user-id': userId },
    requests: QUERIES.map((q) => ({
      method: 'GET',
      path: `/api/search?q=${encodeURIComponent(q)}&limit=10`,
    })),
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
  };
}

function mean(runs: Figures[]): Figures {
  const avg = (k: keyof Figures) => runs.reduce((s, r) => s + r[k], 0) / runs.length;
  return { rps: avg('rps'), p50: avg('p50'), p99: avg('p99'), non2xx: avg('non2xx') };
}

async function metricsRenderMs(
  url: string,
  n = 200,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const body = await (await fetch(`${url}/metrics`)).text();
    times.push(performance.now() - t);
    bytes = body.length;
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)]!, p99: times[Math.floor(n * 0.99)]!, bytes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-service-'));
  const sim = await startLlmSimulator({ port: 0, seed: 3 });
  const logger = pino({ level: 'warn' });
  const env = (monitoring: boolean) => ({
    DATA_DIR: dir,
    LLM_SIM_URL: sim.url,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '0',
    AI_SEARCH_INTERNAL_USERS: 'true',
    AI_SEARCH_RATE_LIMIT: '0', // the bench measures the search, not the quota
    ENABLE_AI_SEARCH_MONITORING: String(monitoring),
  });
  const started: RunningService[] = [];
  try {
    const seedStart = performance.now();
    const on = await startService({
      config: loadConfig(env(true)),
      port: 0,
      contacts: CONTACTS,
      logger,
      clientRateLimit: false,
    });
    started.push(on);
    const seedMs = performance.now() - seedStart;
    const off = await startService({
      config: loadConfig(env(false)),
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
    const results: Record<string, { on: Figures[]; off: Figures[] }> = {
      keyword: { on: [], off: [] },
      'ai (cache hits)': { on: [], off: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, user] of [
        ['keyword', publicUser],
        ['ai (cache hits)', internalUser],
      ] as const) {
        results[name]!.on.push(await load(on.url, user));
        results[name]!.off.push(await load(off.url, user));
      }
    }
    const render = await metricsRenderMs(on.url);
    console.log(
      `\nsearch service bench: ${CONTACTS} contacts (seeded in ${Math.round(seedMs)} ms), ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS}s per mode and monitoring setting\n`,
    );
    console.log('scenario          monitoring   req/s     p50 ms  p99 ms  non-2xx');
    for (const [name, r] of Object.entries(results)) {
      for (const setting of ['on', 'off'] as const) {
        const f = mean(r[setting]);
        console.log(
          `${name.padEnd(18)}${setting.padEnd(13)}${f.rps.toFixed(0).padStart(7)}${f.p50.toFixed(1).padStart(9)}${f.p99.toFixed(1).padStart(8)}${f.non2xx.toFixed(0).padStart(9)}`,
        );
      }
      const overhead = 1 - mean(r.on).rps / mean(r.off).rps;
      console.log(
        `${name.padEnd(18)}telemetry overhead: ${(overhead * 100).toFixed(1)}% of throughput (target ≤ 5%)`,
      );
    }
    console.log(
      `GET /metrics round trip: p50 ${render.p50.toFixed(2)} ms, p99 ${render.p99.toFixed(2)} ms, ${render.bytes} bytes (target ≤ 5 ms)`,
    );
    const kw = mean(results.keyword!.on);
    console.log(`keyword p99 ${kw.p99.toFixed(1)} ms (target ≤ 20 ms)\n`);
  } finally {
    for (const s of started) await s.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
