// npm run bench:serve-keyword — keyword search measured from outside, the way issue 14 measured
// it: a real `canary serve` process (dist/ when built, else tsx), autocannon in another process,
// at 1 and BENCH_CONNECTIONS connections, for two streams: `one query` (the same search every time,
// the issue's method: what the result cache answers) and `never repeated` (16,464 different
// queries in turn: every search runs its ranked query). Rounds alternate the streams; medians.
// Targets: p99 ≤ 10 ms at 10 connections with 50k contacts, ≤ 50 ms with 1M.
// Then GET /metrics on the same service (target p99 ≤ 5 ms, render and round trip), after a
// further BENCH_METRICS_TRAFFIC_SECONDS (60; the issue asks for 600) of keyword traffic, half one
// query, half never repeated: 300 scrapes idle, then scrapes during a one-query load.
// Then the telemetry overhead (target ≤ 5%): pairs of fresh `canary serve` processes, one with
// ENABLE_AI_SEARCH_MONITORING=false, both loaded at the same time by two autocannon processes for
// BENCH_OVERHEAD_SLICES (6) one-query slices of BENCH_OVERHEAD_SECONDS (5); CPU per request is each
// process's own CPU (from /proc, Linux). A pair's figure is the mean of its slices' on/off ratios;
// pairs are added (at least BENCH_OVERHEAD_MIN_PAIRS, 8, at most BENCH_OVERHEAD_PAIRS, 12; 0
// skips this part) until the 95% interval over the pairs is narrower than 5 points (stopping as
// soon as 4 pairs allowed read 5.3% [3.0, 7.6] one run after 11 pairs read 2.1% [−0.1, 4.4]: an
// early stop favours a narrow interval; equal minimum and maximum give a fixed number). Separate
// processes: in bench:service the three services share one process and heap, and the instance
// compared showed a bias of its own.
// At the same time, not in turn: whatever else the machine does lands on both halves of a pair (in
// turn, 30 slices left an interval 15 points wide on a quiet machine). Fresh pairs: one pair of
// processes can differ by several percent on its own (JIT, heap), which more slices of the same
// pair cannot average out. The two start together (one started seconds before the other read 3–6%
// more CPU per request), and each side, service and load, runs on its own half of the cores
// (taskset; BENCH_OVERHEAD_PIN=0 leaves it to the scheduler), the halves swapped every slice so
// that an even number of slices cancels a slower core. Checked with monitoring on in both
// processes: 0.7% [−1.7%, 3.0%] over 5 pairs.
// Knobs: BENCH_CONTACTS (50000), BENCH_DB_DIR (reuse a seeded database: a 1M seed takes 1–3 min),
// BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10). On a two-core machine autocannon
// takes most of one core: the figures are the service's and its client's together.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { launch, waitUntilReady } from '../test/harness/process.js';
import { freePort } from '../src/stack/ports.js';
import { BENCH_QUERIES, distinctQueries } from './search-queries.js';
import {
  describeHandled,
  quantile,
  scrapes,
  type ScrapeFigures,
} from './support/metrics-scrapes.js';
import { LOAD_SCRIPT, SERVE_ENV, type LoadFigures as Figures } from './support/autocannon-load.js';
import { meanCi, pct, verdict } from './support/paired-interval.js';

const run = promisify(execFile);
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONTACTS = env('BENCH_CONTACTS', 50_000);
const SECONDS = env('BENCH_SECONDS', 10);
const ROUNDS = env('BENCH_ROUNDS', 3);
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const TARGET_MS = CONTACTS >= 1_000_000 ? 50 : 10;
const OVERHEAD_SECONDS = env('BENCH_OVERHEAD_SECONDS', 5);
const OVERHEAD_SLICES = env('BENCH_OVERHEAD_SLICES', 6);
const OVERHEAD_PAIRS = env('BENCH_OVERHEAD_PAIRS', 12);
const OVERHEAD_MIN_PAIRS = env('BENCH_OVERHEAD_MIN_PAIRS', 8);
const METRICS_TRAFFIC_SECONDS = env('BENCH_METRICS_TRAFFIC_SECONDS', 60);
const CI_WIDTH = 0.05;

/**
 * The two halves of the cores for the overhead pairs (`taskset -c`), unless BENCH_OVERHEAD_PIN=0,
 * taskset is missing or there are fewer than two cores: then the scheduler places everything.
 */
const HALVES: [string, string] | undefined = (() => {
  const half = Math.floor(os.availableParallelism() / 2);
  if (process.env.BENCH_OVERHEAD_PIN === '0' || half === 0 || !existsSync('/usr/bin/taskset')) {
    return undefined;
  }
  const range = (from: number) => Array.from({ length: half }, (_, i) => from + i).join(',');
  return [range(0), range(half)];
})();

/** Moves every thread of a running process to `cpus` (nothing when not pinning). */
const repin = async (pid: number, cpus: string | undefined) => {
  if (cpus !== undefined) await run('/usr/bin/taskset', ['-a', '-p', '-c', cpus, String(pid)]);
};

/** The command line, under `taskset -c cpus` when given. */
const pinned = (cpus: string | undefined, argv: string[]): string[] =>
  cpus === undefined ? argv : ['/usr/bin/taskset', '-c', cpus, ...argv];

/** user + system CPU of a process so far, µs (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Seconds of load the latency rounds ran (their slices). */
const totalTrafficSeconds = (figures: Map<string, Figures[]>) =>
  [...figures.values()].reduce((s, runs) => s + runs.length * SECONDS, 0);

const searchPath = (q: string) => `/api/search?q=${encodeURIComponent(q)}&limit=10`;
const median = (xs: number[]) => quantile(xs, 0.5);

async function main(): Promise<void> {
  const keep = process.env.BENCH_DB_DIR;
  const dataDir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'bench-serve-'));
  mkdirSync(dataDir, { recursive: true });
  const reused = existsSync(path.join(dataDir, 'contacts.sqlite'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bin = path.join(import.meta.dirname, '..', 'bin', 'canary.js');
  const args = [bin, 'serve', '--port', String(port), '--data-dir', dataDir];
  args.push('--contacts', String(CONTACTS), '--client-rate-limit', '0');
  const started = Date.now();
  const svc = launch(process.execPath, args, 'canary serve', {
    env: { ...process.env, ...SERVE_ENV },
  });
  const overheadServices: ReturnType<typeof launch>[] = [];
  try {
    await waitUntilReady(`${url}/readyz`, svc, 'canary serve', 600_000);
    const dbMb = statSync(path.join(dataDir, 'contacts.sqlite')).size / 1e6;
    const user = 'bench-user';
    const streams = {
      'one query': [searchPath(BENCH_QUERIES[1]!)],
      'never repeated': distinctQueries().map(searchPath),
    };
    // Spread the never-repeated stream over the rounds so no query comes round again.
    const offsets = { 'one query': 0, 'never repeated': 0 };
    const load = async (
      stream: keyof typeof streams,
      c: number,
      at = url,
      seconds = SECONDS,
      cpus?: string,
    ): Promise<Figures> => {
      const all = streams[stream];
      const from = offsets[stream] % all.length;
      const paths = [...all.slice(from), ...all.slice(0, from)].slice(0, 4000);
      const [command, ...argv] = pinned(cpus, [
        process.execPath,
        '-e',
        LOAD_SCRIPT,
        at,
        String(c),
        String(seconds),
        user,
        ...paths,
      ]);
      const { stdout } = await run(command!, argv, { maxBuffer: 1 << 20 });
      const f = JSON.parse(stdout) as Figures;
      offsets[stream] += Math.ceil(f.rps * seconds) + c;
      return f;
    };
    for (const stream of Object.keys(streams) as (keyof typeof streams)[]) await load(stream, 1); // warm
    const figures = new Map<string, Figures[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const stream of Object.keys(streams) as (keyof typeof streams)[]) {
        for (const c of [1, CONNECTIONS]) {
          const key = `${stream}, ${c} conn`;
          figures.set(key, [...(figures.get(key) ?? []), await load(stream, c)]);
        }
      }
    }
    console.log(
      `\nkeyword search from outside: canary serve (${existsSync(path.join(import.meta.dirname, '..', 'dist')) ? 'dist' : 'tsx'}), ${CONTACTS} contacts, ${dbMb.toFixed(0)} MB database (${reused ? `reused from ${dataDir}` : `seeded and ready in ${((Date.now() - started) / 1000).toFixed(0)} s`}); ${ROUNDS} rounds of ${SECONDS} s, medians; ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `${''.padEnd(28)}  req/s  p50 ms  p99 ms  non-2xx  (target p99 ≤ ${TARGET_MS} ms at ${CONNECTIONS} conn)`,
    );
    for (const [key, runs] of figures) {
      const m = (k: keyof Figures) => median(runs.map((r) => r[k]));
      const p99s = runs.map((r) => r.p99).join(', ');
      const met = key.endsWith(`, ${CONNECTIONS} conn`)
        ? runs.every((r) => r.p99 <= TARGET_MS)
          ? '  met in every round'
          : `  NOT met (p99 per round: ${p99s} ms)`
        : '';
      console.log(
        `${key.padEnd(28)}${m('rps').toFixed(0).padStart(7)}${m('p50').toFixed(1).padStart(8)}${m('p99').toFixed(1).padStart(8)}${String(runs.reduce((s, r) => s + r.bad, 0)).padStart(9)}${met}`,
      );
    }

    // /metrics after more traffic (the series, the result cache and the recent searches full).
    const trafficStarted = Date.now();
    for (let spent = 0, i = 0; spent < METRICS_TRAFFIC_SECONDS; i++) {
      const s = Math.min(30, METRICS_TRAFFIC_SECONDS - spent);
      await load(i % 2 ? 'never repeated' : 'one query', CONNECTIONS, url, s);
      spent += s;
    }
    const trafficMin = (Date.now() - trafficStarted) / 60_000;
    const idle = await scrapes(url, 300);
    let loading = true;
    const background = load('one query', CONNECTIONS, url, 10).finally(() => (loading = false));
    const busy = await scrapes(url, 20, () => !loading, 20);
    await background;
    const line = (name: string, s: ScrapeFigures) =>
      `${name.padEnd(34)}render p50 ${s.render.p50.toFixed(2)} ms, p99 ${s.render.p99.toFixed(2)} ms (max ${s.render.max.toFixed(2)}); round trip p50 ${s.roundTrip.p50.toFixed(2)} ms, p99 ${s.roundTrip.p99.toFixed(2)} ms (${s.n} scrapes); ${describeHandled(s.handled)}`;
    console.log(
      `\nGET /metrics after ${(totalTrafficSeconds(figures) / 60 + trafficMin).toFixed(1)} min of keyword traffic (${idle.bytes} bytes; target p99 ≤ 5 ms)`,
    );
    console.log(line('idle', idle));
    console.log(line(`during one-query load (${CONNECTIONS} conn)`, busy));

    // Telemetry overhead: fresh processes with the same history (the one above holds a full result
    // cache, a bigger heap to collect), monitoring on and off.
    await svc.stop();
    if (OVERHEAD_PAIRS === 0) return; // BENCH_OVERHEAD_PAIRS=0: latency and /metrics only
    const fresh = async (monitoring: boolean, cpus: string | undefined) => {
      const p = await freePort();
      const a = args.map((x) => (x === String(port) ? String(p) : x));
      const name = `canary serve (monitoring ${monitoring ? 'on' : 'off'})`;
      const [command, ...argv] = pinned(cpus, [process.execPath, ...a]);
      const proc = launch(command!, argv, name, {
        env: { ...process.env, ...SERVE_ENV, ENABLE_AI_SEARCH_MONITORING: String(monitoring) },
      });
      overheadServices.push(proc);
      await waitUntilReady(`http://127.0.0.1:${p}/readyz`, proc, name, 600_000);
      return { url: `http://127.0.0.1:${p}`, pid: proc.child.pid! };
    };
    // Pairs of fresh processes, the start order alternating; in each, slices at the same time.
    // One pair can carry a bias of its own (seen: +9.2% [7.3, 11.1] over 8 slices of one pair,
    // where an on/on pair read +0.2% and the next on/off pair +0.4%), so the interval is taken
    // over the pairs' means, not over slices.
    const perPair: { on: number[]; off: number[] }[] = [];
    const pairOverhead = (p: { on: number[]; off: number[] }) =>
      p.on.reduce((sum, x, i) => sum + x / p.off[i]! - 1, 0) / p.on.length;
    const overhead = () => meanCi(perPair.map(pairOverhead));
    const narrow = () => {
      const o = overhead();
      return o.hi - o.lo < CI_WIDTH;
    };
    while (perPair.length < OVERHEAD_PAIRS && (perPair.length < OVERHEAD_MIN_PAIRS || !narrow())) {
      const sides = perPair.length % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      // Each side (service and its load) on its own half of the cores, the halves swapped every
      // slice: one core can be several percent slower than the other (seen: pairs with "on" on
      // core 0 read +5.6 to +8.5%, on core 1 −5.3 to +2.0%), which an even number of slices
      // cancels within the pair.
      const half = (side: 'on' | 'off', slice: number) =>
        HALVES?.[(Number(side !== sides[0]) + slice) % 2];
      // Started together: a process started a few seconds before the other read 3–6% more CPU
      // per request in on/on pairs (start order alternated; cause not found).
      const [on, off] = await Promise.all(
        (['on', 'off'] as const).map((side) => fresh(side === 'on', half(side, 0))),
      );
      const services = { on: on!, off: off! };
      for (const side of sides) {
        await load('one query', CONNECTIONS, services[side].url, 3, half(side, 0)); // warm
      }
      const pair = { on: [] as number[], off: [] as number[] };
      for (let slice = 0; slice < OVERHEAD_SLICES; slice++) {
        for (const side of sides) await repin(services[side].pid, half(side, slice));
        const before = { on: cpuMicros(services.on.pid), off: cpuMicros(services.off.pid) };
        const [onLoad, offLoad] = await Promise.all(
          (['on', 'off'] as const).map((side) =>
            load('one query', CONNECTIONS, services[side].url, OVERHEAD_SECONDS, half(side, slice)),
          ),
        );
        pair.on.push((cpuMicros(services.on.pid) - before.on) / Math.max(1, onLoad!.total));
        pair.off.push((cpuMicros(services.off.pid) - before.off) / Math.max(1, offLoad!.total));
      }
      perPair.push(pair);
      for (const p of overheadServices.splice(0)) await p.stop();
    }
    const o = overhead();
    const all = { on: perPair.flatMap((p) => p.on), off: perPair.flatMap((p) => p.off) };
    console.log(
      `\ntelemetry overhead, monitoring on vs off: ${perPair.length} pairs of fresh processes, each loaded at the same time for ${OVERHEAD_SLICES} slices of ${OVERHEAD_SECONDS} s (one query, ${CONNECTIONS} conn each): CPU per request ${median(all.on).toFixed(0)} vs ${median(all.off).toFixed(0)} µs (medians); overhead ${pct(o.mean)} [${pct(o.lo)}, ${pct(o.hi)}] over the pairs' means, ${verdict(o, 0.05, CI_WIDTH)}`,
    );
    console.log(
      `  per pair (mean of its slices): ${perPair.map((p) => pct(pairOverhead(p))).join(' ')}`,
    );
  } finally {
    for (const p of overheadServices) await p.stop();
    await svc.stop();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
