// Runs `canary start` as a user does (a child process on free ports, its own data dir) for the
// end-to-end tests, and makes sure nothing it started outlives the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/stack/ports.js';
import { eventually } from '../harness/process.js';

export interface StackRun {
  readonly dataDir: string;
  readonly urls: { service: string; daemon: string; llmSim: string; prometheus: string };
  /** The pids of the stack's components, from data/stack.json. */
  readonly pids: Readonly<Record<string, number>>;
  output(): string;
  /** Sends `signal` to `canary start` and resolves with its exit code once it is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Last resort for afterAll: kills whatever is left and removes the data dir. */
  cleanup(): Promise<void>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const BIN = path.resolve('bin/canary.js');

export async function runStack(
  args: readonly string[] = ['--fast'],
  env: Readonly<Record<string, string>> = {},
): Promise<StackRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stack-e2e-'));
  const ports5 = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const [service, daemon, sim, prom, am] = ports5 as [number, number, number, number, number];
  const ports = ['--service-port', service, '--daemon-port', daemon, '--sim-port', sim];
  ports.push('--prometheus-port', prom, '--alertmanager-port', am);
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'start', '--data-dir', dataDir, ...ports.map(String), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let pids: Record<string, number> = {};

  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    for (const pid of Object.values(pids)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const up = await Promise.race([
    (async () => {
      while (!out.includes('The AI search stack is up'))
        await new Promise((r) => setTimeout(r, 200));
      return true;
    })(),
    exited.then(() => false),
    new Promise<false>((r) => setTimeout(() => r(false), 120_000).unref()),
  ]);
  if (!up) {
    await cleanup();
    throw new Error(`canary start did not come up:\n${out}`);
  }
  const stackFile = path.join(dataDir, 'stack.json');
  if (existsSync(stackFile))
    pids = (JSON.parse(readFileSync(stackFile, 'utf8')) as { pids: Record<string, number> }).pids;
  const url = (p: number) => `http://127.0.0.1:${p}`;
  return {
    dataDir,
    urls: { service: url(service), daemon: url(daemon), llmSim: url(sim), prometheus: url(prom) },
    pids,
    output: () => out,
    async stop(signal = 'SIGINT') {
      child.kill(signal);
      return exited;
    },
    cleanup,
  };
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  return eventually(check, { what, timeoutMs, intervalMs: 500 });
}
