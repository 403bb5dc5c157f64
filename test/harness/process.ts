// Starting and stopping real server processes for tests: free ports, readiness polling, and a
// guarantee that nothing is left running, also when a test fails or the runner exits early.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { findExecutable } from '../../src/stack/tools.js';

/** A port that was free a moment ago (the OS picks it); the local stack uses the same. */
export { freePort } from '../../src/stack/ports.js';

/** The absolute path of an executable on PATH, or undefined. */
export function which(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  return findExecutable([name], envPath);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a crashed or interrupted test run must not leave servers behind.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote, for error messages. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** An immediate signal (SIGKILL simulates a crash), resolving when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `options` may set uid/gid (a server that refuses to run as root) or env; stdio is always piped. */
export function launch(
  command: string,
  args: readonly string[],
  name: string,
  options: Pick<SpawnOptions, 'uid' | 'gid' | 'env' | 'cwd'> = {},
): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const gone = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      live.delete(child);
      resolve();
    });
    child.on('error', (err) => {
      out += `\n[${name}] failed to start: ${err.message}`;
      done = true;
      live.delete(child);
      resolve();
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!done) child.kill(signal);
    await gone;
  };
  return {
    child,
    output: () => out,
    exited: () => done,
    kill,
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx; fails early, with the process's output, if it exits. */
export async function waitUntilReady(
  url: string,
  proc: ManagedProcess,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exited()) {
      throw new Error(`${name} exited before it was ready. Its output:\n${tail(proc.output())}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new Error(
    `${name} was not ready at ${url} after ${timeoutMs} ms (last: ${last}). Its output:\n${tail(proc.output())}`,
  );
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}
