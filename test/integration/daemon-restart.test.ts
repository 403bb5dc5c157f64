// The daemon as a real process (`canary daemon`) beside a real Prometheus: killed with SIGKILL
// while an alert is pending and restarted, it still fires on time (its `for` progress came from
// the state file) and it never repeats a rollback it already did.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileFlagStore } from '../../src/flags/file-flag-store.js';
import { createLogger } from '../../src/shared/logger.js';
import {
  eventually,
  freePort,
  launch,
  tail,
  type ManagedProcess,
  type PrometheusHandle,
} from '../harness/index.js';
import type { MetricsSource } from '../fakes/metrics-source.js';
import {
  DAEMON_RULES as RULES,
  startDaemonBackend,
  type DaemonBackend,
} from './support/daemon-backend.js';

const INTERVAL_MS = 1000;
const FOR_MS = 5000;
const BOOTSTRAP = {
  aiSearchEnabled: true,
  rolloutPercentage: 50,
  internalUsers: true,
  betaUsers: false,
};

let backend: DaemonBackend;
let source: MetricsSource;
let prom: PrometheusHandle;
let dir: string;
const children: ManagedProcess[] = [];

beforeAll(async () => {
  backend = await startDaemonBackend();
  ({ source, prom } = backend);
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-daemon-kill-'));
  await eventually(
    async () => ((await prom.query('test_ai_error_ratio')).length > 0 ? true : undefined),
    { what: 'first scrape' },
  );
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface ApiInstance {
  state: string;
  activeAt: string;
  firedAt: string | null;
}

async function startChild(
  flagsFile: string,
): Promise<{ proc: ManagedProcess; url: string; readyAt: number }> {
  const port = await freePort();
  const args = [
    'bin/canary.js',
    'daemon',
    '--rules',
    RULES,
    '--prometheus-url',
    prom.url,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--data-dir',
    path.join(dir, 'data'),
    '--flags-file',
    flagsFile,
    '--interval',
    '1s',
  ];
  const proc = launch(process.execPath, args, 'canary-daemon');
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (proc.exited()) throw new Error(`daemon exited:\n${tail(proc.output())}`);
      return (await fetch(`${url}/healthz`)).ok ? true : undefined;
    },
    { what: 'the daemon to listen', intervalMs: 50 },
  );
  return { proc, url, readyAt: Date.now() };
}

async function instance(url: string): Promise<ApiInstance | undefined> {
  const body = (await (await fetch(`${url}/api/rules`)).json()) as {
    rules: { name: string; instances: ApiInstance[] }[];
  };
  return body.rules.find((r) => r.name === 'ai_service_failure')?.instances[0];
}

describe('canary daemon process killed with SIGKILL', () => {
  it('keeps its `for` progress across the crash, fires on time, never repeats the rollback; SIGHUP reloads, SIGTERM stops cleanly', async () => {
    const flagsFile = path.join(dir, 'flags.json');
    const flags = createFileFlagStore({
      path: flagsFile,
      bootstrap: BOOTSTRAP,
      logger: createLogger({ name: 't', level: 'silent' }),
    });
    await flags.ensureFlagFile();

    const a = await startChild(flagsFile);
    source.set('test_ai_error_ratio', 0.3);
    const pending = await eventually(
      async () => {
        const i = await instance(a.url);
        return i?.state === 'pending' ? i : undefined;
      },
      { what: 'pending', intervalMs: 100 },
    );
    // The API shows an evaluation a moment before the state file holds it; kill only once the
    // pending instance is on disk, which is what a restart can know about.
    const statePath = path.join(dir, 'data', 'canary-state.json');
    await eventually(
      async () => {
        const text = await readFile(statePath, 'utf8').catch(() => '');
        return text.includes(String(Date.parse(pending.activeAt))) ? true : undefined;
      },
      { what: 'the pending instance in the state file', intervalMs: 50 },
    );
    await a.proc.kill('SIGKILL');

    const b = await startChild(flagsFile);
    const restored = await instance(b.url);
    expect(restored?.activeAt).toBe(pending.activeAt); // `for` progress came back from the state file
    const fired = await eventually(
      async () => {
        const i = await instance(b.url);
        return i?.state === 'firing' ? i : undefined;
      },
      { what: 'firing', intervalMs: 100 },
    );
    const activeAt = Date.parse(pending.activeAt);
    // On time: the first evaluation at or after activeAt + for, unless the restart itself took longer.
    const due = Math.max(activeAt + FOR_MS, b.readyAt);
    expect(Date.parse(fired.firedAt!) - due).toBeLessThanOrEqual(INTERVAL_MS);
    expect(Date.parse(fired.firedAt!)).toBeGreaterThanOrEqual(activeAt + FOR_MS);
    await eventually(
      async () =>
        (await flags.getRollout('ai-search-enabled'))?.enabled === false ? true : undefined,
      { what: 'flag off' },
    );
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    await b.proc.kill('SIGKILL');

    // A person turns the flag back on while the alert still fires: the restarted daemon must not
    // roll back this same alert instance again.
    await flags.update(
      { flag: 'ai-search-enabled', value: true },
      { actor: 'on-call', reason: 'resume after investigation' },
    );
    const c = await startChild(flagsFile);
    await eventually(async () => ((await instance(c.url))?.state === 'firing' ? true : undefined), {
      what: 'still firing',
    });
    await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
    const byDaemon = (await flags.history({ flag: 'ai-search-enabled' })).filter(
      (e) => e.actor === 'canary-daemon',
    );
    expect(byDaemon).toHaveLength(1);
    expect((await flags.getRollout('ai-search-enabled'))?.enabled).toBe(true);

    // SIGHUP reloads the rules in place.
    c.proc.child.kill('SIGHUP');
    await eventually(() => (/rules loaded \(SIGHUP\)/.test(c.proc.output()) ? true : undefined), {
      what: 'reload on SIGHUP',
    });
    expect(c.proc.exited()).toBe(false);

    await c.proc.stop();
    expect(c.proc.child.exitCode).toBe(0);
    expect(c.proc.output()).toMatch(/SIGTERM received/);
  });
});
