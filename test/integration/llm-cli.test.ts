// `canary llm-sim` and `canary chaos` as a user runs them: real processes, real HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CANARY = 'bin/canary.js';
let sim: ChildProcess | undefined;
let url = '';

async function canary(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CANARY, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  sim = spawn('node', [CANARY, 'llm-sim', '--port', '0', '--seed', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`llm-sim did not start: ${out}`)), 60_000);
    sim?.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    sim?.once('exit', (code) => reject(new Error(`llm-sim exited with ${code}: ${out}`)));
  });
});

afterAll(() => {
  sim?.kill('SIGTERM');
});

describe('canary chaos against canary llm-sim', () => {
  it('sets faults, prints them, and ends the incident with --ai-error-rate 0', async () => {
    const set = await canary('chaos', '--url', url, '--ai-error-rate', '0.2', '--status', '529');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('all providers: 20% errors (HTTP 529)');
    expect(await (await fetch(`${url}/__control/faults`)).json()).toEqual({
      errorRate: 0.2,
      status: 529,
    });
    const end = await canary('chaos', '--url', url, '--ai-error-rate', '0');
    expect(end.stdout).toContain('no injected failures');
    expect(await (await fetch(`${url}/__control/faults`)).json()).toEqual({ errorRate: 0 });
  });

  it('exits 2 with the reason on bad usage, and 1 when the simulator is unreachable', async () => {
    const bad = await canary('chaos', '--url', url, '--ai-error-rate', '1.5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a share from 0 to 1');
    const down = await canary('chaos', '--url', 'http://127.0.0.1:1', '--ai-error-rate', '0');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('canary llm-sim');
  });
});
