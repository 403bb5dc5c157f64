// `canary rollout start|status|…` as a user runs them, where no daemon answers: a clear message and
// exit 1; bad usage exits 2 before anything is sent.
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { runRolloutCommand } from '../../src/canary/rollout/rollout-cli.js';
import { runCanary } from '../harness/canary-cli.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('canary rollout commands', () => {
  it('says where it looked when the daemon does not answer, and exits 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = runCanary('rollout', 'status', '--daemon-url', url);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach the canary daemon at ${url}`);
  });

  it.each([
    [['start', '--time-scale', '0.5']],
    [['start', '--time-scale', '2000000']], // more than the daemon accepts
    [['pause', '--time-scale', '2']],
    [['frobnicate']],
  ])('%j is bad usage: exit 2', (args) => {
    expect(runCanary('rollout', ...args).status).toBe(2);
  });

  it('a bad environment is bad usage: exit 2 saying which variable, nothing sent', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    try {
      expect(await runRolloutCommand('status', {}, { CANARY_PORT: 'not-a-port' })).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toMatch(/^error: [^]*CANARY_PORT="not-a-port" is not valid/);
  });
});
