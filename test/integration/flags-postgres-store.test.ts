// The flag store on a real PostgreSQL: migrations, writes with their audit rows in the same
// transaction, compare-and-set under concurrent writers (no lost update), the kill switch that
// always lands, the conditional "off only if on" that happens once, and a password that never
// shows in a message.
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgFlagStore, type PgFlagStore } from '../../src/flags/postgres/pg-flag-store.js';
import type { UpdateResult } from '../../src/flags/types.js';
import { collectingLogger } from '../fakes/collecting-logger.js';
import { OFF_BOOTSTRAP, silentLogger } from '../fixtures/flag-folder.js';
import { freePort, PG_PASSWORD, startPostgres, type PostgresHandle } from '../harness/index.js';

const FLAG = 'ai-search-enabled';
let pgh: PostgresHandle;
let dbCount = 0;
const open: PgFlagStore[] = [];

beforeAll(async () => {
  pgh = await startPostgres();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await pgh?.close();
});

async function freshStore(): Promise<{ url: string; store: PgFlagStore }> {
  const url = await pgh.createDatabase(`store_${++dbCount}`);
  const store = storeAt(url);
  await store.migrate();
  await store.ensureSeeded();
  return { url, store };
}

function storeAt(url: string, poolSize = 2): PgFlagStore {
  const s = createPgFlagStore({ url, bootstrap: OFF_BOOTSTRAP, logger: silentLogger, poolSize });
  open.push(s);
  return s;
}

const meta = (actor: string) => ({ actor, reason: 'test' });

describe('migrations', () => {
  it('apply in order once, are recorded, and a re-run applies nothing', async () => {
    const url = await pgh.createDatabase(`store_${++dbCount}`);
    const a = storeAt(url);
    const b = storeAt(url);
    // Two replicas starting at once: the advisory lock lets each file run exactly once.
    const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
    expect([ra.applied.length, rb.applied.length].sort()).toEqual([0, 3]);
    expect((await a.migrate()).applied).toEqual([]);
    const rows = await pgh.query(
      'SELECT version, name FROM flag_schema_migrations ORDER BY version',
      [],
      `store_${dbCount}`,
    );
    expect(rows.rows).toEqual([
      { version: 1, name: 'flags and audit' },
      { version: 2, name: 'notify flag changes' },
      { version: 3, name: 'leader lease' },
    ]);
  });
});

describe('the PostgreSQL flag store', () => {
  it('starts from the bootstrap variables, once', async () => {
    const { store } = await freshStore();
    expect(await store.ensureSeeded()).toBe(false);
    expect(await store.getRollout(FLAG)).toMatchObject({ enabled: false });
    expect(await store.history()).toHaveLength(1);
  });

  it('writes the change and its audit row together', async () => {
    const { store } = await freshStore();
    const r = await store.update({ flag: FLAG, value: true, percentage: 10 }, meta('alice'));
    expect(r).toMatchObject({ ok: true, changed: true, after: { enabled: true } });
    const again = await store.update({ flag: FLAG, value: true, percentage: 10 }, meta('alice'));
    expect(again).toMatchObject({ ok: true, changed: false });
    const history = await store.history({ flag: FLAG });
    expect(history.map((e) => e.actor)).toEqual(['canary', 'alice']);
    expect(history[1]).toMatchObject({
      before: { enabled: false },
      after: { enabled: true, percentages: { default: 10 } },
    });
    expect(await store.history({ limit: 1 })).toEqual([history[1]]);
  });

  it('refuses an unknown flag, and creates one only when asked', async () => {
    const { store } = await freshStore();
    const r = await store.update({ flag: 'other', value: true }, meta('bob'));
    expect(r).toMatchObject({ ok: false, code: 'unknown-flag' });
    expect(
      await store.update({ flag: 'other', value: true, create: true }, meta('bob')),
    ).toMatchObject({ ok: true, changed: true });
    expect([...(await store.list()).keys()]).toEqual([FLAG, 'other']);
  });

  it('loses no update under concurrent writers: every change saw the one before it', async () => {
    const { url } = await freshStore();
    // Writers in flight at once, bounded by the machine (each holds a connection).
    const writers = Math.min(8, 2 * os.availableParallelism());
    const stores = Array.from({ length: writers }, () => storeAt(url, 1));
    const results: UpdateResult[] = [];
    await Promise.all(
      stores.map(async (s, w) => {
        for (let i = 0; i < 10; i++) {
          const pct = (w * 10 + i) % 101;
          results.push(await s.update({ flag: FLAG, percentage: pct }, meta(`w${w}`)));
        }
      }),
    );
    const changed = results.filter((r) => r.ok && r.changed).length;
    const conflicts = results.filter((r) => !r.ok && r.code === 'conflict').length;
    expect(results.every((r) => r.ok || r.code === 'conflict')).toBe(true);
    expect(changed).toBeGreaterThan(0);
    expect(changed + conflicts + results.filter((r) => r.ok && !r.changed).length).toBe(
      results.length,
    );
    // The audit chain is unbroken: each entry's before is the previous entry's after.
    const history = await stores[0]!.history({ flag: FLAG });
    expect(history).toHaveLength(changed + 1);
    for (let i = 1; i < history.length; i++)
      expect(history[i]!.before).toEqual(history[i - 1]!.after);
    const version = await pgh.query(
      'SELECT version FROM flags WHERE key = $1',
      [FLAG],
      `store_${dbCount}`,
    );
    expect(Number(version.rows[0].version)).toBe(changed + 1);
  });

  it('lands the kill switch even while other writers keep winning the race', async () => {
    const { url, store } = await freshStore();
    await store.update({ flag: FLAG, value: true, percentage: 50 }, meta('alice'));
    const busy = Array.from({ length: Math.min(4, os.availableParallelism() * 2) }, () =>
      storeAt(url, 1),
    );
    let stop = false;
    const noise = busy.map(async (s, w) => {
      for (let i = 0; !stop; i++)
        await s.update({ flag: FLAG, percentage: (w + i) % 100 }, meta('noise'));
    });
    const off = await Promise.all(
      [0, 1, 2].map(() => storeAt(url, 1).update({ flag: FLAG, value: false }, meta('oncall'))),
    );
    stop = true;
    await Promise.all(noise);
    expect(off.every((r) => r.ok)).toBe(true);
    expect(await store.getRollout(FLAG)).toMatchObject({ enabled: false });
    // Three concurrent offs: the flag went from on to off once.
    const offs = (await store.history({ flag: FLAG })).filter(
      (e) => e.before?.enabled === true && !e.after.enabled,
    );
    expect(offs).toHaveLength(1);
  });

  it('turns a flag off only if on: of two racing callers one writes, with one audit row', async () => {
    const { url, store } = await freshStore();
    await store.update({ flag: FLAG, value: true, percentage: 20 }, meta('alice'));
    const [a, b] = [storeAt(url, 1), storeAt(url, 1)];
    const results = await Promise.all([
      a.updateIf({ flag: FLAG, value: false }, meta('daemon-a'), { enabled: true }),
      b.updateIf({ flag: FLAG, value: false }, meta('daemon-b'), { enabled: true }),
    ]);
    expect(results.filter((r) => r.ok && r.changed)).toHaveLength(1);
    const loser = results.find((r) => r.ok && !r.changed);
    expect(loser).toMatchObject({ ok: true, changed: false });
    expect(loser && loser.ok && loser.unmet).toMatch(/is off .*not on/);
    const rollbacks = (await store.history({ flag: FLAG })).filter(
      (e) => !e.after.enabled && e.before?.enabled,
    );
    expect(rollbacks).toHaveLength(1);
    expect(['daemon-a', 'daemon-b']).toContain(rollbacks[0]!.actor);
  });

  it('takes a hand-broken row as an error, and lets only the kill switch replace it', async () => {
    const { store } = await freshStore();
    await pgh.query(
      `UPDATE flags SET definition = '{"state":"ENABLED"}' WHERE key = $1`,
      [FLAG],
      `store_${dbCount}`,
    );
    await expect(store.list()).rejects.toThrow(/no metadata/);
    expect(await store.update({ flag: FLAG, percentage: 5 }, meta('bob'))).toMatchObject({
      ok: false,
      code: 'corrupt',
    });
    expect(await store.update({ flag: FLAG, value: false }, meta('bob'))).toMatchObject({
      ok: true,
    });
    expect(await store.getRollout(FLAG)).toMatchObject({ enabled: false });
  });

  it('never shows the password: not in its name, errors or logs', async () => {
    const port = await freePort();
    const { logger, lines } = collectingLogger();
    const url = `postgres://canary:${PG_PASSWORD}@127.0.0.1:${port}/nowhere`;
    const store = createPgFlagStore({ url, bootstrap: OFF_BOOTSTRAP, logger });
    open.push(store);
    expect(store.path).toBe(`postgres://canary:***@127.0.0.1:${port}/nowhere`);
    const r = await store.update({ flag: FLAG, value: false }, meta('oncall'));
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(!r.ok && r.error).toMatch(/cannot use the flag store postgres:\/\/canary:\*\*\*@/);
    const err = await store.list().catch((e: Error) => e.message);
    expect(String(err)).toContain('ECONNREFUSED');
    expect(JSON.stringify([r, err, lines])).not.toContain(PG_PASSWORD);
  });
});
