// The daemon with FLAGS_URL: a firing immediate_rollback rule turns the flag off in PostgreSQL,
// with its audit row (who, which rule, what value), and a replica following the store hears it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagEvaluator } from '../../src/flags/evaluator.js';
import { createPgFlagStore } from '../../src/flags/postgres/pg-flag-store.js';
import { ROLLBACK_RULE, startTestDaemon, writeRules } from '../fakes/daemon-harness.js';
import { ScriptedPrometheus } from '../fakes/scripted-prometheus.js';
import { OFF_BOOTSTRAP, silentLogger } from '../fixtures/flag-folder.js';
import { eventually, startPostgres, type PostgresHandle } from '../harness/index.js';

const FLAG = 'ai-search-enabled';
let pgh: PostgresHandle;
let dir = '';

beforeAll(async () => {
  pgh = await startPostgres();
  dir = await mkdtemp(path.join(os.tmpdir(), 'daemon-pg-'));
});
afterAll(async () => {
  await pgh?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the daemon on the PostgreSQL flag store', () => {
  it('rolls back in PostgreSQL, audited, and every replica hears it', async () => {
    const url = await pgh.createDatabase('daemon');
    const store = createPgFlagStore({ url, bootstrap: OFF_BOOTSTRAP, logger: silentLogger });
    await store.migrate();
    await store.ensureSeeded();
    await store.update(
      { flag: FLAG, value: true, percentage: 10 },
      { actor: 'alice', reason: 'go' },
    );
    const replica = await createFlagEvaluator({
      path: '/unused',
      bootstrap: OFF_BOOTSTRAP,
      logger: silentLogger,
      postgres: { url, staleAfterMs: 60_000, policy: 'off' },
    });
    const heard = new Promise<void>((resolve) => replica.onChange(resolve));
    const rulesFile = path.join(dir, 'rules.yml');
    await writeRules(rulesFile, ROLLBACK_RULE);
    const prom = new ScriptedPrometheus();
    prom.value('ai_error_ratio', 0.3);
    const d = await startTestDaemon({
      dir,
      ruleFiles: [rulesFile],
      prom,
      // No fake store: the daemon opens the one FLAGS_URL names.
      options: { flagStore: undefined, flagsUrl: url },
    });
    try {
      await d.step(7); // past the rule's `for`
      await eventually(async () => ((await store.getRollout(FLAG))?.enabled ? undefined : true), {
        intervalMs: 50,
        what: 'the flag off in PostgreSQL',
      });
      await heard;
      expect((await replica.evaluate(FLAG, 'u1', 'internal-users')).value).toBe(false);
      const last = (await store.history({ flag: FLAG })).at(-1)!;
      expect(last).toMatchObject({
        actor: 'canary-daemon',
        before: { enabled: true },
        after: { enabled: false },
      });
      expect(JSON.stringify(last.context)).toContain('ai_service_failure');
    } finally {
      await d.daemon.close();
      await replica.close();
      await store.close();
    }
  });
});
