// The real PromQL engine for `canary simulate`: simulated counters are backfilled with
// `promtool tsdb create-blocks-from openmetrics` into a throwaway data folder, a Prometheus is
// started on it (free port, no scraping, no rules) and asked query_range at the rules' interval.
// Stop it with `stop()`, which also removes the folder.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../stack/ports.js';
import { ChildGroup, logTail } from '../stack/processes.js';
import { findStackTools, INSTALL_HINT } from '../stack/tools.js';
import { waitForHttp } from '../stack/wait.js';
import { createRangeClient } from '../canary/backtest/range-query.js';
import type { Sample } from '../canary/types.js';
import type { Counters } from './traffic.js';

/** promtool (2.42) cuts 2-hour blocks and reads its whole input once per block: one file per block. */
const BLOCK_MS = 2 * 3600_000;
export const METRIC = 'gen_ai_client_operation_duration_count';
export const RUN_LABEL = 'sim_run';

export interface BackfillRun {
  readonly id: string;
  readonly counters: Counters;
}

export interface Timeline {
  /** Time of scrape 0, ms since the epoch. */
  readonly firstScrapeMs: number;
  readonly scrapeMs: number;
}

export interface SimPrometheus {
  readonly url: string;
  /** Values of `expr` at every `stepMs` from `startMs` to `endMs` (inclusive), by timestamp. */
  queryRange(
    expr: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<Map<number, Sample[]>>;
  stop(): Promise<void>;
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args[0] ?? ''} exited ${code}: ${err.trim()}`)),
    );
  });
}

function blockText(runs: readonly BackfillRun[], t: Timeline, from: number, to: number): string {
  const lines: string[] = [];
  for (const r of runs) {
    const ok = `${METRIC}{${RUN_LABEL}="${r.id}",gen_ai_provider_name="openai"}`;
    const bad = `${METRIC}{${RUN_LABEL}="${r.id}",gen_ai_provider_name="openai",error_type="timeout"}`;
    const { calls, failed } = r.counters;
    const first = Math.max(0, Math.ceil((from - t.firstScrapeMs) / t.scrapeMs));
    for (let i = first; i < calls.length; i++) {
      const ts = t.firstScrapeMs + i * t.scrapeMs;
      if (ts >= to) break;
      const sec = (ts / 1000).toFixed(3);
      lines.push(`${ok} ${calls[i]! - failed[i]!} ${sec}`, `${bad} ${failed[i]!} ${sec}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** Writes the runs' counters as TSDB blocks into `dataDir`, `parallel` promtool processes at a time. */
export async function backfill(
  promtool: string,
  runs: readonly BackfillRun[],
  t: Timeline,
  dataDir: string,
  workDir: string,
  parallel: number,
): Promise<void> {
  const lastMs = Math.max(
    ...runs.map((r) => t.firstScrapeMs + (r.counters.calls.length - 1) * t.scrapeMs),
  );
  const starts: number[] = [];
  for (let b = Math.floor(t.firstScrapeMs / BLOCK_MS) * BLOCK_MS; b <= lastMs; b += BLOCK_MS)
    starts.push(b);
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const from = starts[next++]!;
      const file = path.join(workDir, `block-${from}.om`);
      await writeFile(file, blockText(runs, t, from, from + BLOCK_MS));
      await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dataDir]);
      rmSync(file, { force: true });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

/** Backfills `runs` and starts a Prometheus over them. */
export async function startSimPrometheus(
  runs: readonly BackfillRun[],
  t: Timeline,
  parallel: number,
): Promise<SimPrometheus> {
  const tools = findStackTools();
  if (tools.promtool === undefined)
    throw new Error(`promtool was not found on PATH: ${INSTALL_HINT}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-simulate-'));
  const dataDir = path.join(dir, 'data');
  const children = new ChildGroup(dir, () => undefined);
  try {
    await backfill(tools.promtool, runs, t, dataDir, dir, parallel);
    const configFile = path.join(dir, 'prometheus.yml');
    writeFileSync(configFile, 'global:\n  evaluation_interval: 1m\n');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = children.start({
      name: 'prometheus',
      command: tools.prometheus,
      cwd: dir,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=100y',
        // No compaction: the backfilled 2h blocks are queried as they are, without a background
        // job competing for the two cores.
        '--storage.tsdb.min-block-duration=2h',
        '--storage.tsdb.max-block-duration=2h',
        '--query.timeout=5m',
        '--log.level=warn',
      ],
    });
    try {
      await waitForHttp(`${url}/-/ready`, child);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logTail(child.logFile)}`, { cause: e });
    }
    return {
      url,
      queryRange: (expr, startMs, endMs, stepMs) => queryRange(url, expr, startMs, endMs, stepMs),
      async stop() {
        await children.stopAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Reads through the backtest's range client (one reader of Prometheus's answers: "+Inf" and
 * "NaN" values, refusals, garbage), with the series name dropped as an alert's labels drop it.
 */
async function queryRange(
  url: string,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
): Promise<Map<number, Sample[]>> {
  const r = await createRangeClient({ url, timeoutMs: 300_000 }).queryRange(expr, {
    startMs,
    endMs,
    stepMs,
  });
  if (!r.ok) throw new Error(`Prometheus query_range failed: ${r.error}`);
  const out = new Map<number, Sample[]>();
  for (const [ts, samples] of r.slots) {
    out.set(
      ts,
      samples.map(({ labels: { __name__: _drop, ...labels }, value }) => ({ labels, value })),
    );
  }
  return out;
}
