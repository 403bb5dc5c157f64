// From flag-off committed in PostgreSQL to every replica serving keyword mode: the kill switch's
// propagation through LISTEN/NOTIFY (docs/flags.md). Four replica processes each follow the store
// with the search service's own evaluator (bench/support/propagation-replica.ts); the flag is
// flipped off and back on BENCH_FLIPS times (200), and each flip's latency is the time from just
// before the write is sent until the LAST replica evaluates off: the write's own round trip and
// commit are included, so the figure is an upper bound.
//
// Baseline in the same run: a bare LISTEN connection, which only receives the notification. The
// difference is what the provider adds (parse, flagd reload, evaluation, IPC to this process).
// Replicas are evaluator processes, not `canary serve`: a search service decides its mode with
// this evaluator on every request, and four full services (SQLite seeding, HTTP, the LLM layer)
// would bench the machine rather than the propagation. Run: npm run bench:propagation
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { createPgFlagStore } from '../src/flags/postgres/pg-flag-store.js';
import { FLAGS_CHANNEL } from '../src/flags/postgres/pg-provider.js';
import { AI_SEARCH_FLAG } from '../src/flags/types.js';
import { startPostgres } from '../test/harness/postgres.js';

const FLIPS = Number(process.env.BENCH_FLIPS ?? 200);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 4);
const TARGET_P99_MS = 100;
const REPLICA = fileURLToPath(new URL('./support/propagation-replica.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

interface Report {
  name: string;
  ready?: boolean;
  value: boolean;
  at?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1).padStart(7);
  return `${label.padEnd(44)} p50 ${f(percentile(s, 50))}  p99 ${f(percentile(s, 99))}  max ${f(s.at(-1)!)} ms`;
}

const pgh = await startPostgres();
const children: ChildProcess[] = [];
try {
  const url = await pgh.createDatabase('bench');
  const logger = pino({ level: 'warn' });
  const bootstrap = {
    aiSearchEnabled: true,
    rolloutPercentage: 0,
    internalUsers: true,
    betaUsers: false,
  };
  const store = createPgFlagStore({ url, bootstrap, logger });
  await store.migrate();
  await store.ensureSeeded();

  // Every report is routed to the waiter of its flip.
  let waiting: { value: boolean; seen: Map<string, number>; done: () => void } | undefined;
  const onReport = (r: Report) => {
    if (r.ready || r.at === undefined || !waiting || r.value !== waiting.value) return;
    waiting.seen.set(r.name, r.at);
    if (waiting.seen.size === REPLICAS) waiting.done();
  };
  const ready = await Promise.all(
    Array.from({ length: REPLICAS }, (_, i) => {
      const child = fork(REPLICA, [url, `replica-${i}`], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      return new Promise<Report>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`replica-${i} exited (${code})`)));
        child.on('message', (m: Report) => (m.ready ? resolve(m) : onReport(m)));
      });
    }),
  );
  if (!ready.every((r) => r.value)) throw new Error('replicas did not start with the flag on');

  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  await listener.query(`LISTEN ${FLAGS_CHANNEL}`);
  let notified: ((at: number) => void) | undefined;
  listener.on('notification', () => notified?.(now()));

  const flip = async (value: boolean) => {
    const seen = new Map<string, number>();
    const all = new Promise<void>((done) => (waiting = { value, seen, done }));
    const bare = new Promise<number>((r) => (notified = r));
    const t0 = now();
    const result = await store.update(
      { flag: AI_SEARCH_FLAG, value },
      { actor: 'bench', reason: 'propagation bench' },
    );
    const committed = now();
    if (!result.ok || !result.changed) throw new Error(`flip failed: ${JSON.stringify(result)}`);
    const [bareAt] = await Promise.all([bare, all]);
    return { t0, committed, bareAt, last: Math.max(...seen.values()), each: [...seen.values()] };
  };

  // Warm-up, unmeasured: the first flips pay for JIT compilation in every process.
  for (let i = 0; i < 5; i++) {
    await flip(false);
    await flip(true);
  }
  const lastReplica: number[] = [];
  const perReplica: number[] = [];
  const bareNotify: number[] = [];
  const commitRoundTrip: number[] = [];
  for (let i = 0; i < FLIPS; i++) {
    const off = await flip(false);
    lastReplica.push(off.last - off.t0);
    perReplica.push(...off.each.map((t) => t - off.t0));
    bareNotify.push(off.bareAt - off.t0);
    commitRoundTrip.push(off.committed - off.t0);
    await flip(true); // back on: not measured, only waited for
  }
  await listener.end();
  await store.close();

  const p99 = percentile(
    [...lastReplica].sort((a, b) => a - b),
    99,
  );
  console.log(
    `propagation: ${FLIPS} flips to off, ${REPLICAS} replica processes, ${os.availableParallelism()} cores (shared machine: read ratios, not absolutes)`,
  );
  console.log(summary('write sent → commit acknowledged', commitRoundTrip));
  console.log(summary('write sent → bare LISTEN notified (baseline)', bareNotify));
  console.log(summary('write sent → each replica evaluates off', perReplica));
  console.log(summary('write sent → LAST replica evaluates off', lastReplica));
  const base = percentile(
    [...bareNotify].sort((a, b) => a - b),
    99,
  );
  console.log(
    `p99 every replica / p99 bare notification: ${(p99 / base).toFixed(2)}x; target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'}`,
  );
  process.exitCode = p99 < TARGET_P99_MS ? 0 : 1;
} finally {
  for (const c of children) c.disconnect?.();
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
  );
  await pgh.close();
}
