// `canary flags …` and the guide's npm scripts against the PostgreSQL store (FLAGS_URL or
// --flags-url), as processes; `canary flags migrate` moving flags and history file → PostgreSQL →
// file with nothing lost; and the password in no output, error or log line.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPathFor } from '../../src/flags/audit-log.js';
import type { AuditEntry } from '../../src/flags/types.js';
import { freePort, PG_PASSWORD, startPostgres, type PostgresHandle } from '../harness/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CANARY = path.join(ROOT, 'bin', 'canary.js');
let pgh: PostgresHandle;
let dir = '';

beforeAll(async () => {
  pgh = await startPostgres();
  dir = mkdtempSync(path.join(tmpdir(), 'flags-cli-pg-'));
});
afterAll(async () => {
  await pgh?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|FLAGS_)/i.test(k)) base[k] = v;
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env: { ...base, AI_SEARCH_LOG_LEVEL: 'debug', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const flags = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, [CANARY, 'flags', ...args], env);

const everything: Run[] = [];
const kept = async (r: Promise<Run>) => {
  const out = await r;
  everything.push(out);
  return out;
};

describe('canary flags on PostgreSQL', () => {
  it('update, get, list, history and validate with FLAGS_URL; the npm scripts too', async () => {
    const url = await pgh.createDatabase('cli_a');
    const env = { FLAGS_URL: url };
    const up = await kept(
      flags(
        env,
        'update',
        '--flag',
        'ai-search-enabled',
        '--value',
        'true',
        '--percentage',
        '10',
        '--reason',
        'start',
      ),
    );
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('updated in postgres://canary:***@127.0.0.1');
    const get = await kept(flags(env, 'get', 'ai-search-enabled', '--json'));
    expect(JSON.parse(get.stdout)).toMatchObject({ enabled: true, percentages: { default: 10 } });
    const npm = await kept(
      run(
        'npm',
        ['run', '-s', 'feature-flag:update', '--flag=ai-search-enabled', '--value=false'],
        env,
      ),
    );
    expect(npm.code, npm.stderr).toBe(0);
    const validate = await kept(run('npm', ['run', '-s', 'validate:feature-flags'], env));
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/ai-search-enabled\s+off \(kill switch\)\s+0%\s+0%\s+0%/);
    const history = await kept(flags(env, 'history', '--json'));
    expect((JSON.parse(history.stdout) as AuditEntry[]).map((e) => e.after.enabled)).toEqual([
      false, // created from the bootstrap variables
      true,
      false,
    ]);
    // --flags-url names the store explicitly, with nothing in the environment.
    const list = await kept(flags({}, 'list', '--flags-url', url));
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/ai-search-enabled\s+off/);
  }, 120_000);

  it('moves flags and history file → PostgreSQL → file, and refuses to overwrite', async () => {
    const file = path.join(dir, 'flags.json');
    const fileEnv = { FLAGS_FILE: file };
    for (const pct of ['5', '20'])
      expect(
        (
          await kept(
            flags(fileEnv, 'update', 'ai-search-enabled', '--value', 'true', '--percentage', pct),
          )
        ).code,
      ).toBe(0);
    const url = await pgh.createDatabase('cli_b');
    const toPg = await kept(flags(fileEnv, 'migrate', '--to', url));
    expect(toPg.code, toPg.stderr).toBe(0);
    expect(toPg.stdout).toMatch(
      /moved 1 flag\(s\) and 2 audit entries from .*flags\.json to postgres:\/\/canary:\*\*\*@/,
    );
    const again = await kept(flags(fileEnv, 'migrate', '--to', url));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has flags; refusing to overwrite/);

    // Change it in PostgreSQL, then move everything back into a new file.
    expect(
      (await kept(flags({ FLAGS_URL: url }, 'update', 'ai-search-enabled', '--value', 'false')))
        .code,
    ).toBe(0);
    const back = path.join(dir, 'back', 'flags.json');
    const toFile = await kept(flags({ FLAGS_URL: url }, 'migrate', '--to', back));
    expect(toFile.code, toFile.stderr).toBe(0);
    const entries = readFileSync(auditPathFor(back), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.map((e) => [e.after.enabled, e.after.percentages.default])).toEqual([
      [true, 5],
      [true, 20],
      [false, 20],
    ]);
    const got = await kept(flags({ FLAGS_FILE: back }, 'get', 'ai-search-enabled', '--json'));
    expect(JSON.parse(got.stdout)).toMatchObject({ enabled: false, percentages: { default: 20 } });
    const overwrite = await kept(flags({ FLAGS_URL: url }, 'migrate', '--to', back));
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toMatch(/already exists; refusing to overwrite/);
  }, 120_000);

  it('reports an unreachable store, a bad URL and --schema-only clearly', async () => {
    const port = await freePort();
    const down = `postgres://canary:${PG_PASSWORD}@127.0.0.1:${port}/none`;
    const r = await kept(
      flags({ FLAGS_URL: down }, 'update', 'ai-search-enabled', '--value', 'false'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot use the flag store postgres:\/\/canary:\*\*\*@127\.0\.0\.1:\d+\/none: .*ECONNREFUSED/,
    );
    const bad = await kept(flags({ FLAGS_URL: `mysql://canary:${PG_PASSWORD}@db/x` }, 'list'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FLAGS_URL="mysql://canary:***@db/x" is not valid');
    const url = await pgh.createDatabase('cli_c');
    const schema = await kept(flags({ FLAGS_URL: url }, 'migrate', '--schema-only'));
    expect(schema.code, schema.stderr).toBe(0);
    // Every migration in migrations/flags/, in order, named by its file.
    expect(schema.stdout).toMatch(
      /schema at version 3; applied 1 \(flags and audit\), 2 \(notify flag changes\), 3 \(leader lease\)/,
    );
    expect((await kept(flags({ FLAGS_URL: url }, 'migrate', '--schema-only'))).stdout).toMatch(
      /nothing to apply/,
    );
  }, 120_000);

  it('never printed the password (debug logs included)', () => {
    expect(everything.length).toBeGreaterThan(10);
    expect(JSON.stringify(everything)).not.toContain(PG_PASSWORD);
  });
});
