// The PostgreSQL harness itself: a real cluster on a free port, as root (through the postgres
// user) or not; it answers with a password over TCP, survives a stop/start on the same port, and
// its folder is gone after close().
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from '../harness/index.js';

let pgh: PostgresHandle;
beforeAll(async () => {
  pgh = await startPostgres();
});
afterAll(async () => {
  await pgh?.close();
});

describe('the PostgreSQL harness', () => {
  it('runs PostgreSQL 15, not as root, reachable with the password over TCP', async () => {
    const r = await pgh.query(
      "SELECT current_setting('server_version_num')::int AS v, current_user AS u, (SELECT usesuper FROM pg_user WHERE usename = current_user) AS su",
    );
    expect(r.rows[0].v).toBeGreaterThanOrEqual(150000);
    expect(r.rows[0].u).toBe('canary');
    // The server process owns its data folder: the postgres user under root, else ourselves.
    const dataDir = (await pgh.query('SHOW data_directory')).rows[0].data_directory as string;
    const expected =
      process.getuid?.() === 0
        ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
        : process.getuid?.();
    expect(statSync(dataDir).uid).toBe(expected);
  });

  it('creates separate databases and restarts on the same port', async () => {
    const url = await pgh.createDatabase('harness_db');
    expect(url).toContain(`:${pgh.port}/harness_db`);
    await pgh.query('CREATE TABLE t (x int)', [], 'harness_db');
    await pgh.query('INSERT INTO t VALUES (1)', [], 'harness_db');
    await pgh.stop();
    await expect(pgh.query('SELECT 1')).rejects.toThrow();
    await pgh.start();
    const r = await pgh.query('SELECT x FROM t', [], 'harness_db');
    expect(r.rows).toEqual([{ x: 1 }]);
  });

  it('removes its folder on close', async () => {
    const other = await startPostgres();
    expect(existsSync(other.dir)).toBe(true);
    await other.close();
    expect(existsSync(other.dir)).toBe(false);
  });
});
