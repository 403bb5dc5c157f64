// Two search service replicas with FLAGS_URL on a real PostgreSQL: a flag change reaches both;
// when PostgreSQL goes away each keeps serving its last known flags and says so on /readyz and in
// feature_flag_store_connected; when it is back they catch up. The password never reaches a log.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgFlagStore, type PgFlagStore } from '../../src/flags/postgres/pg-flag-store.js';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig } from '../../src/shared/config.js';
import { collectingLogger, type LogLine } from '../fakes/collecting-logger.js';
import { silentLogger } from '../fixtures/flag-folder.js';
import { eventually, PG_PASSWORD, startPostgres, type PostgresHandle } from '../harness/index.js';

let dir = '';
let pgh: PostgresHandle;
let sim: LlmSimulator;
let store: PgFlagStore;
const replicas: RunningService[] = [];
const logs: LogLine[][] = [];
let internalUser = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-pg-'));
  pgh = await startPostgres();
  const url = await pgh.createDatabase('flags');
  sim = await startLlmSimulator({
    port: 0,
    seed: 7,
    latency: { baseMs: 1, perOutputTokenMs: 0, jitterMs: 0 },
  });
  const config = loadConfig({
    DATA_DIR: dir,
    LLM_SIM_URL: sim.url,
    FLAGS_URL: url,
    FLAGS_STALE_AFTER: '1d', // the policy has its own tests; here the last known flags must stay
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    AI_SEARCH_INTERNAL_USERS: 'true',
    FLAG_ADMIN_TOKEN: 'admin-token-0123456789',
  });
  // Replicas one after the other: the first migrates and seeds, the second finds it done.
  for (let i = 0; i < 2; i++) {
    const { logger, lines } = collectingLogger();
    logs.push(lines);
    replicas.push(
      await startService({
        config,
        port: 0,
        contacts: 300,
        users: 200,
        dbReaders: 0,
        dbFile: path.join(dir, `contacts-${i}.sqlite`),
        clientRateLimit: false,
        logger,
      }),
    );
  }
  internalUser = replicas[0]!.store.usersInSegment('internal-users', 1)[0]!;
  store = createPgFlagStore({ url, bootstrap: config.bootstrap, logger: silentLogger });
});

afterAll(async () => {
  for (const r of replicas) await r.close();
  await store?.close();
  await sim?.close();
  await pgh?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function modeOf(svc: RunningService): Promise<string> {
  const res = await fetch(`${svc.url}/api/search?q=energy`, {
    headers: { 'x-user-id': internalUser },
  });
  return ((await res.json()) as { mode: string }).mode;
}

async function gauge(svc: RunningService): Promise<number | undefined> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('feature_flag_store_connected'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

describe('search replicas on the PostgreSQL flag store', () => {
  it('serve the seeded flags and follow a change', async () => {
    for (const r of replicas) expect(await modeOf(r)).toBe('ai');
    for (const r of replicas) expect(await gauge(r)).toBe(1);
    await store.update({ flag: 'ai-search-enabled', value: false }, { actor: 't', reason: 'test' });
    for (const r of replicas)
      await eventually(async () => ((await modeOf(r)) === 'keyword' ? true : undefined), {
        intervalMs: 20,
        what: 'keyword mode',
      });
    await store.update({ flag: 'ai-search-enabled', value: true }, { actor: 't', reason: 'test' });
    for (const r of replicas)
      await eventually(async () => ((await modeOf(r)) === 'ai' ? true : undefined), {
        intervalMs: 20,
      });
  });

  it('without PostgreSQL: last known flags, /readyz says so (200), the gauge is 0; then it recovers', async () => {
    await pgh.stop();
    for (const r of replicas)
      await eventually(async () => ((await gauge(r)) === 0 ? true : undefined), { intervalMs: 50 });
    const res = await fetch(`${replicas[0]!.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ready: boolean; degraded?: string[] };
    expect(body.ready).toBe(true);
    expect(body.degraded?.[0]).toMatch(
      /^flag store unreachable for \d+ s: serving the last known flags/,
    );
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    expect(await modeOf(replicas[1]!)).toBe('ai');
    await pgh.start();
    for (const r of replicas)
      await eventually(async () => ((await gauge(r)) === 1 ? true : undefined), { intervalMs: 50 });
    expect(await (await fetch(`${replicas[0]!.url}/readyz`)).json()).toEqual({ ready: true });
  });

  it('a replica started while PostgreSQL is down serves off, not ready, and catches up once it is up', async () => {
    const url = await pgh.createDatabase('late'); // empty: no tables yet
    await pgh.stop();
    const { logger, lines } = collectingLogger();
    logs.push(lines);
    const late = await startService({
      config: loadConfig({
        DATA_DIR: dir,
        LLM_SIM_URL: sim.url,
        FLAGS_URL: url,
        NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
        AI_SEARCH_INTERNAL_USERS: 'true',
      }),
      port: 0,
      contacts: 300,
      users: 200,
      dbReaders: 0,
      dbFile: path.join(dir, 'contacts-late.sqlite'),
      clientRateLimit: false,
      logger,
    });
    replicas.push(late);
    const res = await fetch(`${late.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reasons: string[] }).reasons).toContain(
      'flags not loaded: the flag store has not been reached yet',
    );
    expect(await modeOf(late)).toBe('keyword'); // the code default: off
    await pgh.start();
    // It migrates and seeds the empty database from the bootstrap variables (flag on), then follows it.
    await eventually(async () => ((await modeOf(late)) === 'ai' ? true : undefined), {
      intervalMs: 100,
      what: 'the late replica to serve the seeded flag',
    });
    expect((await fetch(`${late.url}/readyz`)).status).toBe(200);
  });

  it('never logs the database password', () => {
    const text = JSON.stringify(logs);
    expect(text).toContain('flag store'); // the outage above was logged…
    expect(text).not.toContain(PG_PASSWORD); // …without the secret
  });
});
