// bin/healthcheck.js, the image's HEALTHCHECK and docker-compose's probes, against the real search
// service: Docker reads exit 0 as healthy and 1 as unhealthy, and shows the printed line.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig } from '../../src/shared/config.js';
import { eventually, freePort } from '../harness/index.js';

let dir = '';
let svc: RunningService;

function probe(...urls: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/healthcheck.js', ...urls], (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'image-healthcheck-'));
  svc = await startService({
    config: loadConfig({ DATA_DIR: dir, AI_SEARCH_LOG_LEVEL: 'silent' }),
    port: 0,
    contacts: 200,
    users: 100,
    flagPollMs: 100,
  });
});

afterAll(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bin/healthcheck.js', () => {
  it('exits 0 when /healthz and /readyz both answer 2xx', async () => {
    const r = await probe(`${svc.url}/healthz`, `${svc.url}/readyz`);
    expect(r).toEqual({
      code: 0,
      out: `healthy: ${svc.url}/healthz 200, ${svc.url}/readyz 200`,
    });
  });

  it('exits 1 and says why when the service is alive but cannot serve (corrupt flag file)', async () => {
    const flagsFile = path.join(dir, 'flags.json');
    const good = readFileSync(flagsFile, 'utf8');
    writeFileSync(flagsFile, '{ not json');
    try {
      await eventually(
        async () => ((await fetch(`${svc.url}/readyz`)).status === 503 ? true : undefined),
        { what: '/readyz 503' },
      );
      const r = await probe(`${svc.url}/healthz`, `${svc.url}/readyz`);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`^unhealthy: ${svc.url}/readyz 503 .*flags not loaded`));
      expect(r.out).not.toContain('/healthz');
      expect(r.out).not.toContain(dir);
    } finally {
      writeFileSync(flagsFile, good);
    }
    await eventually(
      async () => ((await fetch(`${svc.url}/readyz`)).status === 200 ? true : undefined),
      { what: '/readyz 200' },
    );
  });

  it('exits 1 and names a refused connection when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}/healthz`;
    const r = await probe(url);
    expect(r).toEqual({
      code: 1,
      out: `unhealthy: ${url} refused the connection (not listening yet?)`,
    });
  });

  it('exits 1 with its usage when given no URL (a probe that checks nothing is not healthy)', async () => {
    const r = await probe();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^usage: node bin\/healthcheck\.js <url>/);
  });
});
