// The flag CLI as people and scripts run it: real processes, the real npm scripts, a temp folder.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { auditPathFor } from '../../src/flags/audit-log.js';
import { createFlagEvaluator } from '../../src/flags/evaluator.js';
import { parseFlagFile } from '../../src/flags/flag-file.js';
import { AI_SEARCH_FLAG, type AuditEntry, type RolloutSpec } from '../../src/flags/types.js';
import type { WriterResult } from './support/flag-writers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CANARY = path.join(ROOT, 'bin', 'canary.js');

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flags-cli-'));
  file = path.join(dir, 'flags.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a fresh shell: no npm_config_* inherited from whoever runs the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, FLAGS_FILE: file, AI_SEARCH_LOG_LEVEL: 'warn' };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: cleanEnv(), timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const canary = (...args: string[]) => run(process.execPath, [CANARY, 'flags', ...args]);

const WRITERS = path.join(ROOT, 'test', 'integration', 'support', 'flag-writers.ts');

/**
 * `total` writers split over as many processes as there are cores (at least two, so the lock is
 * contended across processes too): each process boots tsx once. All start writing when every
 * process has said it is ready, so they really race.
 */
async function raceWriters(total: number): Promise<WriterResult[]> {
  const processes = Math.max(2, Math.min(availableParallelism(), 8));
  const per = Math.ceil(total / processes);
  const children = Array.from({ length: processes }, (_, p) => {
    const first = p * per;
    const count = Math.min(per, total - first);
    return spawn(process.execPath, ['--import', 'tsx', WRITERS, String(first), String(count)], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
  });
  const lines = children.map((child) => {
    const rl = createInterface({ input: child.stdout! });
    const it = rl[Symbol.asyncIterator]();
    const next = async () => {
      const r = await it.next();
      if (r.done)
        throw new Error(`writer process ${child.pid} exited early (code ${child.exitCode})`);
      return r.value;
    };
    return { child, next };
  });
  for (const l of lines) expect(await l.next()).toBe('ready');
  for (const l of lines) l.child.stdin!.write('go\n');
  const results = await Promise.all(
    lines.map(async (l) => JSON.parse(await l.next()) as WriterResult[]),
  );
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : once(c, 'exit'))));
  return results.flat();
}

function readSpec(): RolloutSpec | undefined {
  const parsed = parseFlagFile(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.flags.get(AI_SEARCH_FLAG);
}

function readAudit(): AuditEntry[] {
  return readFileSync(auditPathFor(file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);
}

describe('canary flags (processes)', () => {
  it('50 concurrent writers in core-bounded processes lose no update and leave 50 audit entries', async () => {
    expect((await canary('update', '--flag', AI_SEARCH_FLAG, '--value', 'true')).code).toBe(0);
    const results = await raceWriters(50);
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.map((r) => r.stderr)).toEqual([]);
    expect(results).toHaveLength(50);
    const entries = readAudit().slice(1); // the first entry is the --value true above
    expect(entries).toHaveLength(50);
    // Serialized writes: every change starts from the state the previous one left.
    for (let k = 1; k < entries.length; k++)
      expect(entries[k]!.before).toEqual(entries[k - 1]!.after);
    expect(new Set(entries.map((e) => e.actor)).size).toBe(50);
    expect(readSpec()).toEqual(entries.at(-1)!.after);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 180_000);

  it("the guide's npm-script syntax works: internal 1%, then the kill switch", async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const up = await run(npm, [
      'run',
      'feature-flag:update',
      '--flag=ai-search-enabled',
      '--value=true',
      '--percentage=1',
      '--segment=internal-users',
    ]);
    expect(up.stderr).not.toMatch(/^error:/m);
    expect(up.code).toBe(0);
    expect(readSpec()).toEqual({
      enabled: true,
      percentages: { 'internal-users': 1, 'beta-users': 0, default: 0 },
    });
    const kill = await run(npm, [
      'run',
      'feature-flag:update',
      '--flag=ai-search-enabled',
      '--value=false',
    ]);
    expect(kill.code).toBe(0);
    expect(readSpec()).toEqual({
      enabled: false,
      percentages: { 'internal-users': 1, 'beta-users': 0, default: 0 },
    });
    expect(readAudit().map((e) => e.after.enabled)).toEqual([true, false]);
    const validate = await run(npm, ['run', '-s', 'validate:feature-flags']);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/ai-search-enabled\s+off \(kill switch\)\s+0%\s+0%\s+0%/);
  }, 120_000);

  it.each([
    [['--flag', AI_SEARCH_FLAG, '--percentage', '101'], /--percentage "101" is not valid/],
    [['--flag', AI_SEARCH_FLAG, '--percentage', 'abc'], /--percentage "abc" is not valid/],
    [
      ['--flag', AI_SEARCH_FLAG, '--percentage', '5', '--segment', 'vip'],
      /--segment "vip" is not valid/,
    ],
    [['--flag', 'no-such-flag', '--value', 'true'], /unknown flag "no-such-flag"/],
    [['--flag', AI_SEARCH_FLAG, '--bogus'], /unknown option/],
  ])(
    'bad input %j: exit 2, a clear message, the file unchanged',
    async (args, message) => {
      expect(
        (
          await canary(
            'update',
            '--flag',
            AI_SEARCH_FLAG,
            '--value',
            'true',
            '--percentage',
            '1',
            '--segment',
            'internal-users',
          )
        ).code,
      ).toBe(0);
      const before = readFileSync(file, 'utf8');
      const r = await canary('update', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect(readAudit()).toHaveLength(1);
    },
    60_000,
  );

  it('a corrupt file: validate exits 1 naming the problem, turning on refuses and leaves it alone', async () => {
    writeFileSync(file, '{"flags": {}');
    const v = await canary('validate');
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(file);
    expect(v.stderr).toMatch(/not valid JSON/);
    const u = await canary('update', '--flag', AI_SEARCH_FLAG, '--value', 'true');
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/Nothing was written.*--value=false\) still works/);
    expect(readFileSync(file, 'utf8')).toBe('{"flags": {}');
  }, 60_000);

  it('a running evaluator sees a change made by another process', async () => {
    expect((await canary('update', '--flag', AI_SEARCH_FLAG, '--value', 'true')).code).toBe(0);
    const bootstrap = {
      aiSearchEnabled: false,
      rolloutPercentage: 0,
      internalUsers: true,
      betaUsers: false,
    };
    const evaluator = await createFlagEvaluator({
      path: file,
      bootstrap,
      logger: pino({ level: 'silent' }),
    });
    try {
      const seen = new Promise<void>((resolve) => evaluator.onChange(resolve));
      expect((await evaluator.evaluate(AI_SEARCH_FLAG, 'u1', 'internal-users')).value).toBe(true);
      expect((await canary('update', '--flag', AI_SEARCH_FLAG, '--value', 'false')).code).toBe(0);
      await seen; // the latency itself is measured by npm run bench:flags
      expect((await evaluator.evaluate(AI_SEARCH_FLAG, 'u1', 'internal-users')).value).toBe(false);
    } finally {
      await evaluator.close();
    }
  }, 60_000);

  it('list, get and history --json give machine-readable output', async () => {
    await canary(
      'update',
      '--flag',
      AI_SEARCH_FLAG,
      '--value',
      'true',
      '--percentage',
      '10',
      '--segment',
      'beta-users',
      '--reason',
      'phase 3',
      '--actor',
      'dana',
    );
    const get = JSON.parse((await canary('get', AI_SEARCH_FLAG, '--json')).stdout);
    expect(get.served).toEqual({ 'internal-users': 100, 'beta-users': 10, public: 0 });
    const list = JSON.parse((await canary('list', '--json')).stdout);
    expect(Object.keys(list)).toEqual([AI_SEARCH_FLAG]);
    const history = JSON.parse((await canary('history', '--json')).stdout);
    expect(history).toMatchObject([{ actor: 'dana', reason: 'phase 3', flag: AI_SEARCH_FLAG }]);
  }, 60_000);
});
