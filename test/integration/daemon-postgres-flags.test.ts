// The daemon with FLAGS_URL: a firing immediate_rollback rule turns the flag off in PostgreSQL,
// with its audit row (who, which rule, what value), and a replica following the store hears it.
// With two daemons on one store, the rollout is moved by the leader-lease holder only.
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

  it('with two daemons on one store, only the lease holder moves the rollout', async () => {
    const url = await pgh.createDatabase('leader');
    const seed = createPgFlagStore({ url, bootstrap: OFF_BOOTSTRAP, logger: silentLogger });
    await seed.migrate();
    await seed.ensureSeeded();
    await seed.close();
    const daemons: Awaited<ReturnType<typeof startTestDaemon>>[] = [];
    try {
      for (const name of ['a', 'b']) {
        const own = path.join(dir, `leader-${name}`);
        const rulesFile = path.join(dir, `leader-${name}.yml`);
        await writeRules(rulesFile, ROLLBACK_RULE);
        daemons.push(
          await startTestDaemon({
            dir: own,
            ruleFiles: [rulesFile],
            options: {
              flagStore: undefined,
              flagsUrl: url,
              rolloutPlan: path.resolve('rollouts/ai-search.yml'),
            },
          }),
        );
      }
      const start = (i: number) =>
        fetch(`${daemons[i]!.daemon.url}/api/rollout/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ actor: 'alice' }),
        });
      const first = await start(0);
      expect(`${first.status} ${await first.text()}`).toMatch(/^200 /);
      const second = await start(1);
      expect(second.status).toBe(503);
      expect(await second.text()).toContain('not the leader');
      const views = await Promise.all(
        daemons.map(
          async (d) => (await (await d.get('/api/rollout')).json()) as { leadership: string },
        ),
      );
      expect(views[0]!.leadership).toContain('postgres lease');
    } finally {
      for (const d of daemons) await d.daemon.close();
    }
  });
});
