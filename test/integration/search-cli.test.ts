// `canary serve` as a process: --migrate-only (npm run db:migrate), and exit code 2 on bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'search-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function canary(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/canary.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AI_SEARCH_LOG_LEVEL: 'info', ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('canary serve', () => {
  it('--migrate-only applies the migrations and exits 0; a second run applies none', () => {
    const first = canary(['serve', '--migrate-only', '--data-dir', dir]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('applied migrations 1');
    const db = new BetterSqlite3(path.join(dir, 'contacts.sqlite'), { readonly: true });
    const versions = db
      .prepare('SELECT version FROM schema_migrations ORDER BY version')
      .pluck()
      .all();
    db.close();
    expect(versions).toEqual([1, 2, 3]);
    const second = canary(['serve', '--migrate-only', '--data-dir', dir]);
    expect(second.code).toBe(0);
    expect(second.out).toContain('database schema is up to date');
  });

  it.each([
    [['serve', '--port', 'abc'], {}, '--port "abc" is not valid'],
    [['serve', '--metrics-port', '65536'], {}, '--metrics-port "65536" is not valid'],
    [['serve', '--migrate-only'], { SEARCH_METRICS_PORT: 'x' }, 'SEARCH_METRICS_PORT'],
    [['serve', '--contacts', '0'], {}, '--contacts "0" is not valid'],
    [['serve', '--result-cache', '-1'], {}, '--result-cache "-1" is not valid'],
    [['serve', '--result-cache', '1e4'], {}, '--result-cache "1e4" is not valid'],
    [['serve', '--migrate-only'], { AI_SEARCH_SEED_CONTACTS: 'lots' }, 'AI_SEARCH_SEED_CONTACTS'],
    [['serve', '--migrate-only'], { AI_SEARCH_TIMEOUT: 'soon' }, 'AI_SEARCH_TIMEOUT'],
    [['serve', '--no-such-option'], {}, 'unknown option'],
  ] as const)('%j exits 2 with a message naming the problem', (args, env, message) => {
    const r = canary([...args, '--data-dir', dir], env);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(message);
  });
});
