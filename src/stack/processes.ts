// The local stack's child processes. Each runs in its own process group (detached), so stopping
// the stack kills the whole group — a child's own children included — and a Ctrl-C in the
// terminal reaches only the orchestrator, which then stops everything in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface RunningChild {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

export type ExitListener = (child: RunningChild, code: number | string) => void;

export class ChildGroup {
  private readonly children: { run: RunningChild; proc: ChildProcess }[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: ExitListener,
  ) {}

  get pids(): Record<string, number> {
    return Object.fromEntries(this.children.map((c) => [c.run.name, c.run.pid]));
  }

  start(spec: ChildSpec): RunningChild {
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    if (proc.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
    // 'close' comes after the output pipes are drained, so the log is complete when it resolves.
    const exited = new Promise<number | string>((resolve) => {
      proc.once('error', (e) => resolve(`spawn error: ${e.message}`));
      proc.once('close', (code, signal) => log.end(() => resolve(code ?? signal ?? 'unknown')));
    });
    const run: RunningChild = { name: spec.name, pid: proc.pid, logFile, exited };
    void exited.then((code) => {
      if (!this.stopping) this.onUnexpectedExit(run, code);
    });
    this.children.push({ run, proc });
    return run;
  }

  /** Stops every child, newest first: SIGTERM to its group, SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const { run } of [...this.children].reverse()) {
      await stopGroup(run, graceMs);
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

async function stopGroup(run: RunningChild, graceMs: number): Promise<void> {
  signalGroup(run.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs));
  if ((await Promise.race([run.exited, timer])) === 'timeout') {
    signalGroup(run.pid, 'SIGKILL');
    await run.exited;
  }
  // Grandchildren that outlived their parent still belong to the group.
  signalGroup(run.pid, 'SIGKILL');
}

/** The last lines of a child's log, for an error message. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
