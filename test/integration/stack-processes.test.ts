// The local stack's process handling: whole process groups stopped, busy ports named.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertNoLeftovers } from '../../src/stack/leftovers.js';
import { assertPortsFree, freePort, PortInUseError } from '../../src/stack/ports.js';
import { ChildGroup } from '../../src/stack/processes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ChildGroup', () => {
  it('stops each child with its own children (the whole process group)', async () => {
    const exits: string[] = [];
    const group = new ChildGroup(dir, (c) => exits.push(c.name));
    // A shell whose child ignores SIGTERM: only the group SIGKILL after the grace period ends it.
    const child = group.start({
      name: 'parent',
      command: 'sh',
      args: [
        '-c',
        'sh -c \'trap "" TERM; echo $$ > grandchild.pid; while :; do sleep 1; done\' & wait',
      ],
      cwd: dir,
    });
    await until(() => {
      try {
        return readFileSync(path.join(dir, 'grandchild.pid'), 'utf8').trim() !== '';
      } catch {
        return false;
      }
    });
    const grandchild = Number(readFileSync(path.join(dir, 'grandchild.pid'), 'utf8'));
    expect(alive(child.pid) && alive(grandchild)).toBe(true);
    await group.stopAll(500);
    await until(() => !alive(grandchild) && !alive(child.pid));
    expect(exits).toEqual([]); // a requested stop is not an unexpected exit
  });

  it('reports a child that dies on its own, with its log file', async () => {
    const died = new Promise<string>((resolve) => {
      const group = new ChildGroup(dir, (c, code) =>
        resolve(`${c.name}:${code}:${readFileSync(c.logFile, 'utf8').trim()}`),
      );
      group.start({
        name: 'crasher',
        command: 'sh',
        args: ['-c', 'echo boom >&2; exit 3'],
        cwd: dir,
      });
    });
    expect(await died).toBe('crasher:3:boom');
  });
});

describe('ports', () => {
  it('names the component whose port is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const busy = (server.address() as net.AddressInfo).port;
    try {
      const free = await freePort();
      const err = await assertPortsFree({ 'LLM simulator': free, Prometheus: busy }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toContain(`port ${busy} (Prometheus) is already in use`);
    } finally {
      server.close();
    }
  });

  it('refuses one port given to two components', async () => {
    await expect(assertPortsFree({ service: 4000, daemon: 4000 })).rejects.toThrow(
      /both service and daemon/,
    );
  });
});

describe('canary start with a busy port', () => {
  it('exits 1 naming the port and the component, starting nothing', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const busy = (server.address() as net.AddressInfo).port;
    try {
      const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
      const r = spawnSync(
        process.execPath,
        [
          'bin/canary.js',
          'start',
          '--data-dir',
          dir,
          '--service-port',
          String(ports[0]),
          '--daemon-port',
          String(ports[1]),
          '--sim-port',
          String(ports[2]),
          '--prometheus-port',
          String(busy),
          '--alertmanager-port',
          String(ports[3]),
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`port ${busy} (Prometheus, --prometheus-port) is already in use`);
      expect(r.stdout).not.toContain('starting');
    } finally {
      server.close();
    }
  });
});

describe('leftovers of a stack whose orchestrator was killed hard', () => {
  it('refuses to start over live children, saying how to stop them', async () => {
    const sleeper = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const state = mkdtempSync(path.join(os.tmpdir(), 'stack-left-'));
    try {
      writeFileSync(
        path.join(state, 'stack.json'),
        JSON.stringify({ pids: { service: sleeper.pid } }),
      );
      expect(() => assertNoLeftovers(state)).toThrow(
        `is still running (pids ${sleeper.pid}); stop it with: kill -TERM -${sleeper.pid}`,
      );
    } finally {
      process.kill(-(sleeper.pid as number), 'SIGKILL');
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('clears a stale record whose processes are gone', () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'stack-left-'));
    try {
      writeFileSync(
        path.join(state, 'stack.json'),
        JSON.stringify({ pids: { service: 2 ** 22 + 1 } }),
      );
      assertNoLeftovers(state);
      expect(existsSync(path.join(state, 'stack.json'))).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
