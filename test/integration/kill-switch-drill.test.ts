// The kill-switch drill (issue 9, "Done when"): every way the flag file can be broken, and a
// stale lock left by a crashed pid 1, against each real path that turns AI search off:
//   - the guide's command, `npm run feature-flag:update --flag=ai-search-enabled --value=false`,
//     with a running evaluator (the service's file provider) that must pick the new file up;
//   - the service's `PUT /api/flags/:key`, with searches by an internal user switching to keyword;
//   - the daemon's `immediate_rollback`, fired by a real Prometheus evaluating the rule file.
// Each must land: a valid file with the flag off, the broken file kept beside it, the other flags
// from the last good copy, an audit entry that says what happened. Turning on still refuses.
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/canary/main.js';
import { createFlagEvaluator } from '../../src/flags/evaluator.js';
import { createFileFlagStore } from '../../src/flags/file-flag-store.js';
import { parseFlagFile } from '../../src/flags/flag-file.js';
import { makeSpec } from '../../src/flags/rollout.js';
import { AI_SEARCH_FLAG, type BrokenKind } from '../../src/flags/types.js';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { BROKEN_FILES, plantStaleLock } from '../fixtures/broken-flag-files.js';
import type { MetricsSource } from '../fakes/metrics-source.js';
import {
  DAEMON_RULES as RULES,
  startDaemonBackend,
  type DaemonBackend,
} from './support/daemon-backend.js';
import { eventually, type PrometheusHandle } from '../harness/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'drill-admin-token-0123456789';
const BOOTSTRAP = {
  aiSearchEnabled: true,
  rolloutPercentage: 0,
  internalUsers: true,
  betaUsers: false,
};
const logger = createLogger({
  name: 'kill-switch-drill',
  level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
});

interface Row {
  readonly name: string;
  /** The recovery the store must report; undefined where the file itself is fine (the lock row). */
  readonly kind?: BrokenKind;
  readonly problem?: RegExp;
  readonly prepare: (file: string, outside: string) => void;
}

const ROWS: readonly Row[] = [
  ...BROKEN_FILES.map((b) => ({ ...b, prepare: b.breakIt })),
  { name: 'a two-hour-old lock held by pid 1', prepare: (f: string) => plantStaleLock(f) },
];

let root: string;
let outside: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kill-switch-drill-'));
  outside = path.join(root, 'outside.json');
  writeFileSync(outside, 'precious, not ours');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const store = (file: string) => createFileFlagStore({ path: file, bootstrap: BOOTSTRAP, logger });

/** AI at 25% and a second flag on: the state a kill switch must keep, apart from `enabled`. */
async function goodHistory(file: string): Promise<void> {
  const s = store(file);
  expect((await s.update({ flag: AI_SEARCH_FLAG, value: true, percentage: 25 }, meta)).ok).toBe(
    true,
  );
  expect(
    (await s.update({ flag: 'other-flag', value: true, percentage: 5, create: true }, meta)).ok,
  ).toBe(true);
}
const meta = { actor: 'drill', reason: 'set-up' };

/** The file is regular, valid, has the flag off, and (when the row broke it) was recovered. */
async function expectLanded(file: string, row: Row, actor: string, otherFlag = true) {
  expect(lstatSync(file).isFile()).toBe(true);
  const parsed = parseFlagFile(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(parsed.error);
  expect(parsed.flags.get(AI_SEARCH_FLAG)).toEqual(
    makeSpec(false, { 'internal-users': 100, 'beta-users': 0, default: 25 }),
  );
  if (otherFlag)
    expect(parsed.flags.get('other-flag')).toEqual(
      makeSpec(true, { 'internal-users': 0, 'beta-users': 0, default: 5 }),
    );
  expect(readFileSync(outside, 'utf8')).toBe('precious, not ours');
  const last = (await store(file).history()).at(-1)!;
  expect(last).toMatchObject({ actor, after: { enabled: false } });
  if (row.kind) {
    expect(last.recovery).toMatchObject({ kind: row.kind, base: 'last-good' });
    expect(last.recovery!.problem).toMatch(row.problem!);
  } else expect(last.recovery).toBeUndefined();
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function npmKillSwitch(file: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  Object.assign(env, { FLAGS_FILE: file, AI_SEARCH_LOG_LEVEL: 'warn', USER: 'oncall' });
  const args = ['run', 'feature-flag:update', '--flag=ai-search-enabled', '--value=false'];
  return new Promise((resolve) => {
    execFile('npm', args, { cwd: ROOT, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kill-switch drill: the npm script, with a running evaluator', () => {
  it.each(ROWS)('$name: the command exits 0 and the evaluator serves off', async (row) => {
    const dir = path.join(root, `cli-${ROWS.indexOf(row)}`);
    mkdirSync(dir);
    const file = path.join(dir, 'flags.json');
    await goodHistory(file);
    const evaluator = await createFlagEvaluator({ path: file, bootstrap: BOOTSTRAP, logger });
    try {
      expect((await evaluator.evaluate(AI_SEARCH_FLAG, 'u1', 'internal-users')).value).toBe(true);
      const changed = new Promise<void>((resolve) => evaluator.onChange(resolve));
      row.prepare(file, outside);
      const run = await npmKillSwitch(file);
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.code).toBe(0);
      if (row.kind) expect(run.stderr).toMatch(/warning: the flag file was broken/);
      else expect(run.stderr).toMatch(/took over a stale flag-file lock/);
      await expectLanded(file, row, 'oncall');
      await changed; // the provider's watch (or its poll) loaded the repaired file
      expect((await evaluator.evaluate(AI_SEARCH_FLAG, 'u1', 'internal-users')).value).toBe(false);
    } finally {
      await evaluator.close();
    }
  });
});

describe('kill-switch drill: PUT /api/flags/:key on the running service', () => {
  let dir: string;
  let sim: LlmSimulator;
  let svc: RunningService;
  let internalUser: string;
  beforeAll(async () => {
    dir = path.join(root, 'service');
    mkdirSync(dir);
    sim = await startLlmSimulator({
      port: 0,
      seed: 7,
      latency: { baseMs: 1, perOutputTokenMs: 0, jitterMs: 0 },
    });
    const env = {
      DATA_DIR: dir,
      LLM_SIM_URL: sim.url,
      NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
      FLAG_ADMIN_TOKEN: TOKEN,
      AI_SEARCH_LOG_LEVEL: 'silent',
    };
    svc = await startService({
      config: loadConfig(env),
      port: 0,
      contacts: 300,
      users: 100,
      clientRateLimit: false,
      flagPollMs: 200,
    });
    internalUser = svc.store.usersInSegment('internal-users', 1)[0]!;
  });
  afterAll(async () => {
    await svc?.close();
    await sim?.close();
  });

  const put = (body: object) =>
    fetch(`${svc.url}/api/flags/${AI_SEARCH_FLAG}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
  const mode = async () => {
    const res = await fetch(`${svc.url}/api/search?q=climate%20reporters`, {
      headers: { 'x-user-id': internalUser },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { mode: string }).mode;
  };

  it.each(ROWS)('$name: off answers 200 and searches turn keyword', async (row) => {
    const file = path.join(dir, 'flags.json');
    expect((await put({ value: true, percentage: 25, reason: 'drill reset' })).status).toBe(200);
    await eventually(async () => ((await mode()) === 'ai' ? true : undefined), {
      what: 'AI search on',
    });
    row.prepare(file, outside);
    if (row.kind) {
      const on = await put({ percentage: 50, reason: 'must refuse' });
      expect(on.status).toBe(409);
      expect(((await on.json()) as { reason: string }).reason).toMatch(row.problem!);
    }
    const off = await put({ value: false, reason: 'drill' });
    expect(off.status, await off.clone().text()).toBe(200);
    expect(((await off.json()) as { after: { enabled: boolean } }).after.enabled).toBe(false);
    await expectLanded(file, row, 'http-admin', false);
    await eventually(async () => ((await mode()) === 'keyword' ? true : undefined), {
      what: 'the service to serve keyword search',
    });
  });
});

describe('kill-switch drill: the daemon rolls back through a real Prometheus', () => {
  let backend: DaemonBackend;
  let source: MetricsSource;
  let prom: PrometheusHandle;
  const daemons: RunningDaemon[] = [];
  beforeAll(async () => {
    backend = await startDaemonBackend();
    ({ source, prom } = backend);
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.close()));
    await backend?.close();
  });

  it('every row at once: each daemon turns its broken flag file off once ai_service_failure fires', async () => {
    const files = await Promise.all(
      ROWS.map(async (row, i) => {
        const dir = path.join(root, `daemon-${i}`);
        mkdirSync(dir);
        const file = path.join(dir, 'flags.json');
        await goodHistory(file);
        row.prepare(file, outside);
        daemons.push(
          await startDaemon({
            ruleFiles: [RULES],
            prometheusUrl: prom.url,
            dataDir: dir,
            flagsFile: file,
            port: 0,
            host: '127.0.0.1',
            intervalMs: 1000,
            queryTimeoutMs: 2000,
            bootstrap: BOOTSTRAP,
            logger,
          }),
        );
        return file;
      }),
    );
    source.set('test_ai_error_ratio', 0.3); // a real 30% fault: the rule's `for` is 5 s
    await Promise.all(
      ROWS.map(async (row, i) => {
        const file = files[i]!;
        await eventually(
          async () =>
            (await store(file).history()).at(-1)?.actor === 'canary-daemon' ? true : undefined,
          { what: `the daemon's rollback (${row.name})`, timeoutMs: 60_000 },
        );
        await expectLanded(file, row, 'canary-daemon');
      }),
    );
  });
});
