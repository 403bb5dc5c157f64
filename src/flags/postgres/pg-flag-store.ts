// The flag store on PostgreSQL (FLAGS_URL=postgres://…): the same contract as the flag file
// (src/flags/types.ts FlagStore), with the definitions in the `flags` table and the audit log in
// `flag_audit`, written in the same transaction as the change.
//
// Every write is a compare-and-set on the row's version: read the flag, apply the change, and
// write only if the version is still the one read. Two writers never lose each other's change,
// and no lock is held between the read and the write. A writer that loses gets `conflict` and
// nothing is written, so a person who meant to resume a rollout never silently undoes a rollback
// that landed meanwhile; the one exception is the kill switch (value false), which re-reads and
// tries again until it lands (or its deadline passes): "off" must always get through.
import pg from 'pg';
import type { Config } from '../../shared/config.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { auditEntry } from '../audit-log.js';
import { isKillSwitch } from '../broken-file-repair.js';
import { bootstrapSpecs } from '../flag-file-state.js';
import { FlagFileError, type FlagSpecs } from '../flag-file.js';
import { redactUrl } from '../flags-url.js';
import {
  applyChange,
  describeSpec,
  OFF_SPEC,
  refuseBadInput,
  sameSpec,
  unmetCondition,
} from '../rollout.js';
import type {
  AuditEntry,
  ChangeMeta,
  ConditionalFlagStore,
  FlagChange,
  FlagCondition,
  RolloutSpec,
  UpdateResult,
} from '../types.js';
import {
  insertAudit,
  isValid,
  selectAudit,
  selectFlag,
  selectFlags,
  insertFlag,
  writeFlagAudited,
  type FlagRow,
} from './flag-rows.js';
import { applyMigrations, type MigrationReport } from './migrations.js';

export interface PgFlagStoreOptions {
  readonly url: string;
  readonly bootstrap: Config['bootstrap'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long the kill switch keeps retrying a lost compare-and-set; 10 s by default. */
  readonly killSwitchDeadlineMs?: number;
  /** Connections in the pool; 4 by default (writes are rare and short). */
  readonly poolSize?: number;
}

export interface PgFlagStore extends ConditionalFlagStore {
  /** Applies pending schema migrations (idempotent). */
  migrate(): Promise<MigrationReport>;
  /** Inserts the bootstrap flags that are missing (never overwrites); true when any was added. */
  ensureSeeded(meta?: ChangeMeta): Promise<boolean>;
  /** Writes every flag and the whole history at once; refused unless the store has no flags yet. */
  importAll(specs: FlagSpecs, history: readonly AuditEntry[]): Promise<void>;
  close(): Promise<void>;
}

type Attempt = UpdateResult | { readonly conflict: true; readonly version: number | undefined };

/** An error a person can act on, naming the store without its password. */
export function unreachable(where: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `cannot use the flag store ${where}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}; check that PostgreSQL is up and FLAGS_URL is right`;
}

export function createPgFlagStore(opts: PgFlagStoreOptions): PgFlagStore {
  const where = redactUrl(opts.url);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: 5_000,
    application_name: 'canary-flags',
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (err) =>
    log.warn({ err: err.message, store: where }, 'flag store connection lost'),
  );

  async function transaction<T>(fn: (c: pg.PoolClient) => Promise<T | undefined>) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query(out === undefined ? 'ROLLBACK' : 'COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  const entryFor = (
    flag: string,
    meta: ChangeMeta,
    before: RolloutSpec | null,
    after: RolloutSpec,
  ) => auditEntry(clock.now(), flag, meta, before, after);

  async function unknownFlag(flag: string): Promise<UpdateResult> {
    const known = (await selectFlags(pool)).map((r) => r.key).join(', ') || 'none';
    return {
      ok: false,
      code: 'unknown-flag',
      error: `unknown flag "${flag}" in ${where} (known: ${known}); to define a new flag, pass --create`,
    };
  }

  /** The spec a change starts from; a hand-broken row is only ever replaced by "off". */
  function baseOf(row: FlagRow | undefined, change: FlagChange): RolloutSpec | UpdateResult {
    if (!row) return OFF_SPEC;
    if (isValid(row.spec)) return row.spec;
    if (isKillSwitch(change)) return OFF_SPEC;
    return {
      ok: false,
      code: 'corrupt',
      error: `flag "${row.key}" in ${where} has an invalid definition (${row.spec.invalid}); only the kill switch (--value=false) may replace it`,
    };
  }

  async function attempt(
    change: FlagChange,
    meta: ChangeMeta,
    when?: FlagCondition,
  ): Promise<Attempt> {
    const row = await selectFlag(pool, change.flag);
    if (!row && !change.create) return unknownFlag(change.flag);
    const base = baseOf(row, change);
    if ('ok' in base) return base;
    const before = row && isValid(row.spec) ? row.spec : null;
    // A hand-broken row's state is unknown: only the kill switch gets here (baseOf), and turning
    // a flag off is safe whatever it was, so the condition does not stop it.
    const unmet =
      when && (!row || isValid(row.spec)) && unmetCondition(change.flag, before ?? undefined, when);
    if (unmet) return { ok: true, changed: false, before, after: before ?? OFF_SPEC, unmet };
    const applied = applyChange(base, change);
    if (!applied.ok) return { ok: false, code: 'invalid-change', error: applied.error };
    const after = applied.spec;
    if (before && sameSpec(before, after)) return { ok: true, changed: false, before, after };
    const entry = entryFor(change.flag, meta, before, after);
    const written = await writeFlagAudited(pool, after, row?.version, entry);
    if (written === undefined) return { conflict: true, version: row?.version };
    log.info(
      { flag: change.flag, actor: meta.actor, reason: meta.reason, version: written },
      `flag ${change.flag} changed by ${meta.actor}: ${before ? describeSpec(before) : 'new'} -> ${describeSpec(after)}`,
    );
    return { ok: true, changed: true, before, after };
  }

  /** One attempt for ordinary changes; the kill switch retries lost races until its deadline. */
  async function write(
    change: FlagChange,
    meta: ChangeMeta,
    when?: FlagCondition,
  ): Promise<UpdateResult> {
    const refused = refuseBadInput(change, meta);
    if (refused) return refused;
    const deadline = clock.now() + (opts.killSwitchDeadlineMs ?? 10_000);
    for (let n = 0; ; n++) {
      let r: Attempt;
      try {
        r = await attempt(change, meta, when);
      } catch (err) {
        return { ok: false, code: 'io', error: unreachable(where, err) };
      }
      if (!('conflict' in r)) return r;
      if (!isKillSwitch(change) || clock.now() >= deadline) {
        return {
          ok: false,
          code: 'conflict',
          error: `flag ${change.flag} was changed by someone else at the same moment (it was at version ${r.version ?? 'none'}); nothing was written: look at it again (canary flags get ${change.flag}) and retry`,
        };
      }
      // Jittered, short: the winner's transaction is already committed when we learn we lost.
      await clock.sleep(Math.random() * Math.min(100, 5 * 2 ** n));
    }
  }

  return {
    path: where,
    async getRollout(flag) {
      const row = await read(() => selectFlag(pool, flag));
      if (row && !isValid(row.spec)) throw new FlagFileError(`${where}: ${row.spec.invalid}`);
      return row?.spec as RolloutSpec | undefined;
    },
    async list() {
      const rows = await read(() => selectFlags(pool));
      const bad = rows.find((r) => !isValid(r.spec));
      if (bad && !isValid(bad.spec)) throw new FlagFileError(`${where}: ${bad.spec.invalid}`);
      return new Map(rows.map((r) => [r.key, r.spec as RolloutSpec]));
    },
    update: (change, meta) => write(change, meta),
    updateIf: (change, meta, when) => write(change, meta, when),
    history: (options) => read(() => selectAudit(pool, options)),
    async migrate() {
      const client = await read(() => pool.connect());
      try {
        const report = await applyMigrations(client);
        if (report.applied.length > 0)
          log.info(
            { store: where, applied: report.applied.map((m) => m.version) },
            `flag store schema migrated to version ${report.version}`,
          );
        return report;
      } finally {
        client.release();
      }
    },
    async ensureSeeded(meta = { actor: 'canary', reason: 'created from the bootstrap variables' }) {
      let added = false;
      for (const [flag, spec] of bootstrapSpecs(opts.bootstrap)) {
        const done = await writeFlagAudited(
          pool,
          spec,
          undefined,
          entryFor(flag, meta, null, spec),
        );
        if (done !== undefined) {
          added = true;
          log.info(
            { flag, store: where },
            `flag ${flag} created in ${where}: ${describeSpec(spec)}`,
          );
        }
      }
      return added;
    },
    async importAll(specs, history) {
      const ok = await transaction(async (c) => {
        // Serializes two imports; the count below then sees the other's rows.
        await c.query('LOCK TABLE flags IN EXCLUSIVE MODE');
        const existing = await c.query<{ n: string }>('SELECT count(*) AS n FROM flags');
        if (Number(existing.rows[0]!.n) > 0) return false;
        const at = new Date(clock.now());
        for (const [key, spec] of specs) await insertFlag(c, key, spec, at);
        for (const entry of history) await insertAudit(c, entry, null);
        return true;
      });
      if (!ok)
        throw new FlagFileError(
          `${where} already has flags; refusing to overwrite them (migrate into an empty database)`,
        );
    },
    close: () => pool.end(),
  };

  async function read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FlagFileError) throw err;
      throw new FlagFileError(unreachable(where, err));
    }
  }
}
