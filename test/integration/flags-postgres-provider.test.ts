// Replicas following the PostgreSQL flag store: a committed change reaches every replica's
// OpenFeature provider by LISTEN/NOTIFY; a replica cut off keeps its last known flags and says so,
// catches up on everything it missed when it is back, and after FLAGS_STALE_AFTER follows its
// policy (off by default). The replicas connect as their own role, so a test can lock that role
// out (the store still writes) to change a flag "while the replica is away".
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFlagEvaluator, type FlagEvaluator } from '../../src/flags/evaluator.js';
import { createPgFlagStore, type PgFlagStore } from '../../src/flags/postgres/pg-flag-store.js';
import type { FlagsStalePolicy } from '../../src/shared/config.js';
import { OFF_BOOTSTRAP, silentLogger } from '../fixtures/flag-folder.js';
import { eventually, startPostgres, type PostgresHandle } from '../harness/index.js';

const FLAG = 'ai-search-enabled';
const REPLICA_PASSWORD = 'replica-pw-91';
let pgh: PostgresHandle;
let n = 0;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pgh = await startPostgres();
  await pgh.query(`CREATE ROLE replica LOGIN PASSWORD '${REPLICA_PASSWORD}'`);
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await pgh.query('ALTER ROLE replica LOGIN');
});
afterAll(async () => {
  await pgh?.close();
});

interface Setup {
  readonly db: string;
  readonly store: PgFlagStore;
  replica(policy?: FlagsStalePolicy, staleAfterMs?: number): Promise<FlagEvaluator>;
}

async function setUp(): Promise<Setup> {
  const db = `prov_${++n}`;
  const url = await pgh.createDatabase(db);
  const store = createPgFlagStore({ url, bootstrap: OFF_BOOTSTRAP, logger: silentLogger });
  cleanup.push(() => store.close());
  await store.migrate();
  await store.ensureSeeded();
  await pgh.query('GRANT SELECT ON flags TO replica', [], db);
  await store.update({ flag: FLAG, value: true, percentage: 100 }, { actor: 't', reason: 'on' });
  const replicaUrl = url.replace(/\/\/canary:[^@]+@/, `//replica:${REPLICA_PASSWORD}@`);
  return {
    db,
    store,
    async replica(policy = 'off', staleAfterMs = 60_000) {
      const e = await createFlagEvaluator({
        path: '/unused',
        bootstrap: OFF_BOOTSTRAP,
        logger: silentLogger,
        postgres: { url: replicaUrl, staleAfterMs, policy, heartbeatMs: 500 },
      });
      cleanup.push(() => e.close());
      return e;
    },
  };
}

const serves = async (e: FlagEvaluator) => (await e.evaluate(FLAG, 'user-1', 'public')).value;

/** Resolves on the next change event; the flag is then asserted, not waited for by the clock. */
const nextChange = (e: FlagEvaluator) =>
  new Promise<void>((resolve) => {
    const off = e.onChange(() => {
      off();
      resolve();
    });
  });

/** Locks the replicas out and drops their connections; the store's own role still writes. */
async function cutOff(db: string): Promise<void> {
  await pgh.query('ALTER ROLE replica NOLOGIN');
  await pgh.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'replica' AND datname = $1`,
    [db],
  );
}

describe('replicas on the PostgreSQL flag store', () => {
  it('every replica hears a committed change', async () => {
    const s = await setUp();
    const replicas = await Promise.all([s.replica(), s.replica(), s.replica()]);
    for (const r of replicas) expect(await serves(r)).toBe(true);
    const heard = replicas.map(nextChange);
    await s.store.update({ flag: FLAG, value: false }, { actor: 'oncall', reason: 'incident' });
    await Promise.all(heard);
    for (const r of replicas) expect(await serves(r)).toBe(false);
    expect(replicas.every((r) => r.storeConnected())).toBe(true);
  });

  it('keeps its last known flags while cut off, says so, and catches up on what it missed', async () => {
    const s = await setUp();
    const r = await s.replica('off', 60_000);
    await cutOff(s.db);
    await eventually(() => (r.storeConnected() ? undefined : true), { intervalMs: 20 });
    // Changed while the replica cannot hear it.
    await s.store.update({ flag: FLAG, value: false }, { actor: 'oncall', reason: 'incident' });
    expect(await serves(r)).toBe(true);
    expect(r.storeHealth()).toMatchObject({
      ready: true,
      reason: expect.stringMatching(/unreachable .*serving the last known flags/),
    });
    const back = nextChange(r);
    await pgh.query('ALTER ROLE replica LOGIN');
    await back;
    expect(await serves(r)).toBe(false);
    expect(r.storeConnected()).toBe(true);
    expect(r.storeHealth()).toEqual({ ready: true });
  });

  it('resyncs after PostgreSQL restarts', async () => {
    const s = await setUp();
    const r = await s.replica();
    await pgh.stop();
    await eventually(() => (r.storeConnected() ? undefined : true), { intervalMs: 20 });
    expect(await serves(r)).toBe(true);
    await pgh.start();
    await eventually(() => (r.storeConnected() ? true : undefined), { intervalMs: 50 });
    const heard = nextChange(r);
    await s.store.update(
      { flag: FLAG, value: false },
      { actor: 'oncall', reason: 'after restart' },
    );
    await heard;
    expect(await serves(r)).toBe(false);
  });

  it('after FLAGS_STALE_AFTER, policy off serves every flag off until the store is back', async () => {
    const s = await setUp();
    const r = await s.replica('off', 1_000);
    const offNow = nextChange(r);
    await cutOff(s.db);
    await offNow; // the policy, not a store change: nothing was written
    expect(await serves(r)).toBe(false);
    expect(r.storeHealth().reason).toMatch(/every flag served off \(FLAGS_STALE_POLICY=off\)/);
    const back = nextChange(r);
    await pgh.query('ALTER ROLE replica LOGIN');
    await back;
    expect(await serves(r)).toBe(true);
  });

  it('after FLAGS_STALE_AFTER, policy keep serves the last known flags and warns', async () => {
    const s = await setUp();
    const r = await s.replica('keep', 1_000);
    await cutOff(s.db);
    await eventually(
      () =>
        /still serving the last known flags \(FLAGS_STALE_POLICY=keep\)/.test(
          r.storeHealth().reason ?? '',
        )
          ? true
          : undefined,
      {
        intervalMs: 50,
      },
    );
    expect(await serves(r)).toBe(true);
  });

  it('keeps the last good definition of a flag someone broke by hand, and reports it', async () => {
    const s = await setUp();
    const r = await s.replica();
    await pgh.query(
      `UPDATE flags SET definition = '{"state":"ENABLED"}', version = version + 1 WHERE key = $1`,
      [FLAG],
      s.db,
    );
    await eventually(() => r.lastLoadError(), { intervalMs: 20 });
    expect(r.lastLoadError()).toMatch(/no metadata/);
    expect(await serves(r)).toBe(true);
  });
});
