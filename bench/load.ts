// npm run bench:load — the search service (a real `canary serve` process) under sustained load
// from autocannon while the LLM simulator's faults switch on and off every few seconds: HTTP 500s,
// latency beyond AI_SEARCH_TIMEOUT, every call failing, garbage answers. What must hold (issue 6):
// no crash, bounded memory (RSS before and after, and after a second identical round), and beyond
// the limits 429s or keyword fallbacks (`degraded: true`) instead of 5xx.
// The per-client limit is lowered to 40 requests/s (burst 80) so that both limits are reached:
// requests beyond it get 429, and the AI searches under it exceed
// AI_SEARCH_MAX_CONCURRENT_REQUESTS (10) whenever the LLM is slow.
// BENCH_SECONDS (per round, default 30), BENCH_CONNECTIONS (default 32).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startLlmSimulator, type Faults, type LlmSimulator } from '../src/llm-sim/index.js';
import { launchCanary } from '../test/e2e/support/e2e-stack.js';
import { usersOfEverySegment } from '../test/e2e/support/segment-users.js';
import { eventually, freePort, tail, type ManagedProcess } from '../test/harness/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CLIENT_LIMIT = 40;

/** The fault schedule of one round, each phase an equal share of it. */
const PHASES: { name: string; faults: Faults }[] = [
  { name: 'healthy', faults: { errorRate: 0 } },
  { name: '50% HTTP 500', faults: { errorRate: 0.5, mode: 'error', status: 500 } },
  { name: '+3 s latency', faults: { errorRate: 0, latencyMs: 3000 } },
  { name: '100% HTTP 503', faults: { errorRate: 1, mode: 'error', status: 503 } },
  { name: '50% garbage', faults: { errorRate: 0.5, mode: 'garbage' } },
  { name: 'healthy again', faults: { errorRate: 0 } },
];

/** Answers by the phase their request was sent in. */
interface PhaseCount {
  slowestMs: number;
  ok: number;
  degraded: number;
  limited: number;
  server: number;
  other: number;
}

interface Round {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  phases: PhaseCount[];
  reasons: Map<string, number>;
  rssAfterMb: number;
  peakRssMb: number;
  /** Longest time without any answer during the round (a stalled service shows here). */
  longestGapMs: number;
}

function rssMb(pid: number): number {
  const kb = Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
      .toString()
      .trim(),
  );
  return kb / 1024;
}

async function startServiceProcess(sim: LlmSimulator, dir: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    LLM_SIM_URL: sim.url,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '100',
    AI_SEARCH_INTERNAL_USERS: 'true',
    AI_SEARCH_BETA_USERS: 'true',
    AI_SEARCH_CACHE_TTL: '0', // every AI search reaches the LLM layer
    AI_SEARCH_CLIENT_CALL_SHARE: '0', // one address stands for every user here
    AI_SEARCH_TIMEOUT: '1500',
    AI_SEARCH_LOG_LEVEL: 'error',
  };
  const args = ['serve', '--port', String(port), '--data-dir', dir, '--contacts', '20000'];
  args.push('--client-rate-limit', String(CLIENT_LIMIT));
  const proc = launchCanary(args, env, 'search-service');
  await eventually(
    async () => {
      if (proc.exited()) throw new Error(`the service exited:\n${tail(proc.output())}`);
      return (await fetch(`${url}/readyz`)).ok ? true : undefined;
    },
    { what: 'the search service', timeoutMs: 60_000 },
  );
  return { proc, url };
}

function classify(status: number, body: string, count: PhaseCount, reasons: Map<string, number>) {
  if (status === 429) count.limited++;
  else if (status >= 500) count.server++;
  else if (status !== 200) count.other++;
  else {
    const b = JSON.parse(body) as { degraded?: boolean; degradedReason?: string };
    if (!b.degraded) count.ok++;
    else {
      count.degraded++;
      const why = b.degradedReason ?? 'unknown';
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
  }
}

async function round(url: string, sim: LlmSimulator, proc: ManagedProcess): Promise<Round> {
  const users = usersOfEverySegment(100);
  const phases = PHASES.map(() => ({
    slowestMs: 0,
    ok: 0,
    degraded: 0,
    limited: 0,
    server: 0,
    other: 0,
  }));
  const reasons = new Map<string, number>();
  const phaseMs = (SECONDS * 1000) / PHASES.length;
  const started = Date.now();
  let current = 0;
  sim.setFaults(PHASES[0]!.faults);
  const switcher = setInterval(() => {
    current = Math.min(PHASES.length - 1, Math.floor((Date.now() - started) / phaseMs));
    sim.setFaults(PHASES[current]!.faults);
  }, 100);
  let peak = rssMb(proc.child.pid!);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(proc.child.pid!))), 1000);
  let n = 0;
  let last = started;
  let longestGapMs = 0;
  const answered = () => {
    const now = Date.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  };
  try {
    const r = await autocannon({
      url,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          setupRequest: (req, context: { sentAt?: number; phase?: number }) => {
            context.sentAt = Date.now();
            context.phase = current;
            const i = n++;
            const user = users[i % users.length]!;
            return {
              ...req,
              path: `/api/search?q=${encodeURIComponent(`climate reporters ${i}`)}&limit=10`,
              headers: { 'x-user-id': user.id },
            };
          },
          onResponse: (status, body, context: { sentAt?: number; phase?: number }) => {
            answered();
            const c = phases[context.phase ?? current]!;
            c.slowestMs = Math.max(c.slowestMs, Date.now() - (context.sentAt ?? Date.now()));
            classify(status, body, c, reasons);
          },
        },
      ],
    });
    return {
      requests: r.requests.total,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      phases,
      reasons,
      rssAfterMb: rssMb(proc.child.pid!),
      peakRssMb: peak,
      longestGapMs,
    };
  } finally {
    clearInterval(switcher);
    clearInterval(sampler);
    sim.setFaults({ errorRate: 0 });
  }
}

function printRound(label: string, r: Round): void {
  console.log(
    `${label}: ${r.requests} requests, ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
      `connection errors/timeouts ${r.errors}, longest gap between answers ${r.longestGapMs} ms; RSS after ${r.rssAfterMb.toFixed(0)} MB (peak ${r.peakRssMb.toFixed(0)} MB)`,
  );
  const head = ['phase', 'AI ok', 'keyword fallback', '429', '5xx', 'other', 'slowest ms'];
  const rows = PHASES.map((p, i) => {
    const c = r.phases[i]!;
    return [p.name, c.ok, c.degraded, c.limited, c.server, c.other, c.slowestMs].map(String);
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  const why = [...r.reasons].map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`keyword fallbacks by reason: ${why || 'none'}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
  const sim = await startLlmSimulator({
    port: 0,
    seed: 3,
    latency: { baseMs: 60, perOutputTokenMs: 0, jitterMs: 40 },
  });
  let proc: ManagedProcess | undefined;
  let ok: boolean;
  try {
    const svc = await startServiceProcess(sim, dir);
    proc = svc.proc;
    console.log(
      `load: ${CONNECTIONS} connections, ${SECONDS} s per round, faults switching every ${(SECONDS / PHASES.length).toFixed(0)} s; ` +
        `client limit ${CLIENT_LIMIT}/s, AI_SEARCH_MAX_CONCURRENT_REQUESTS 10, AI_SEARCH_TIMEOUT 1.5 s\n`,
    );
    const before = rssMb(proc.child.pid!);
    console.log(`service RSS before: ${before.toFixed(0)} MB\n`);
    const first = await round(svc.url, sim, proc);
    printRound('round 1', first);
    const second = await round(svc.url, sim, proc);
    printRound('round 2', second);
    const alive = !proc.exited() && (await fetch(`${svc.url}/healthz`)).ok;
    const fivexx = [first, second].reduce(
      (s, r) => s + r.phases.reduce((t, c) => t + c.server, 0),
      0,
    );
    const growth = second.rssAfterMb - first.rssAfterMb;
    // Bounded: the second identical round must not keep growing the heap like the first did.
    const bounded = growth <= Math.max(50, 0.25 * first.rssAfterMb);
    ok = alive && fivexx === 0 && bounded;
    console.log(
      `service alive: ${alive}; 5xx: ${fivexx}; RSS ${before.toFixed(0)} → ${first.rssAfterMb.toFixed(0)} → ` +
        `${second.rssAfterMb.toFixed(0)} MB (round 2 grew ${growth.toFixed(0)} MB) → ${ok ? 'OK' : 'FAILED'}`,
    );
  } finally {
    await proc?.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
