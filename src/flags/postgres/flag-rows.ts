// The flag store's tables as typed values: one flag row (definition checked against its metadata,
// exactly as a flag file is) and one audit row. Shared by the store (writes, CLI reads) and the
// provider (what the replicas evaluate), so both read the tables the same way.
import type pg from 'pg';
import { parseFlagDefinition, renderFlag } from '../flag-file.js';
import type { AuditEntry, Recovery, RolloutSpec } from '../types.js';

export interface FlagRow {
  readonly key: string;
  readonly version: number;
  /** The spec, or what is wrong with a definition someone wrote by hand. */
  readonly spec: RolloutSpec | { readonly invalid: string };
}

export function rowFrom(key: string, version: number | string, definition: unknown): FlagRow {
  const spec = parseFlagDefinition(key, definition);
  return {
    key,
    version: Number(version),
    spec: typeof spec === 'string' ? { invalid: spec } : spec,
  };
}

export function isValid(spec: FlagRow['spec']): spec is RolloutSpec {
  return !('invalid' in spec);
}

type Queryable = Pick<pg.ClientBase, 'query'>;

export async function selectFlags(db: Queryable): Promise<FlagRow[]> {
  const r = await db.query<{ key: string; version: string; definition: unknown }>(
    'SELECT key, version, definition FROM flags ORDER BY key',
  );
  return r.rows.map((row) => rowFrom(row.key, row.version, row.definition));
}

export async function selectFlag(db: Queryable, key: string): Promise<FlagRow | undefined> {
  const r = await db.query<{ version: string; definition: unknown }>(
    'SELECT version, definition FROM flags WHERE key = $1',
    [key],
  );
  const row = r.rows[0];
  return row ? rowFrom(key, row.version, row.definition) : undefined;
}

/** A new flag at version 1, for an import into an empty store (under its table lock). */
export async function insertFlag(
  db: Queryable,
  key: string,
  spec: RolloutSpec,
  at: Date,
): Promise<void> {
  await db.query(
    'INSERT INTO flags (key, definition, version, updated_at) VALUES ($1, $2, 1, $3)',
    [key, JSON.stringify(renderFlag(spec)), at],
  );
}

const AUDIT_COLUMNS = 'at, flag, version, actor, reason, before, after, context, recovery';

function auditValues(entry: AuditEntry): unknown[] {
  return [
    entry.time,
    entry.flag,
    entry.actor,
    entry.reason,
    entry.before === null ? null : JSON.stringify(entry.before),
    JSON.stringify(entry.after),
    entry.context === undefined ? null : JSON.stringify(entry.context),
    entry.recovery === undefined ? null : JSON.stringify(entry.recovery),
  ];
}

/**
 * Compare-and-set and its audit row as ONE statement: atomic by itself (both rows or neither) and
 * one round trip, which is most of the kill switch's time to commit. The new version, or undefined
 * when the row is no longer at `expected` (nothing written).
 */
export async function writeFlagAudited(
  db: Queryable,
  spec: RolloutSpec,
  expected: number | undefined,
  entry: AuditEntry,
): Promise<number | undefined> {
  const definition = JSON.stringify(renderFlag(spec));
  const write =
    expected === undefined
      ? `INSERT INTO flags (key, definition, version, updated_at) VALUES ($2, $9, 1, $1)
         ON CONFLICT (key) DO NOTHING RETURNING version`
      : `UPDATE flags SET definition = $9, version = version + 1, updated_at = $1
         WHERE key = $2 AND version = $10 RETURNING version`;
  const r = await db.query<{ version: string }>(
    `WITH w AS (${write})
     INSERT INTO flag_audit (${AUDIT_COLUMNS})
     SELECT $1, $2, w.version, $3, $4, $5, $6, $7, $8 FROM w RETURNING version`,
    [...auditValues(entry), definition, ...(expected === undefined ? [] : [expected])],
  );
  return r.rows[0] ? Number(r.rows[0].version) : undefined;
}

export async function insertAudit(
  db: Queryable,
  entry: AuditEntry,
  version: number | null,
): Promise<void> {
  const [at, flag, ...rest] = auditValues(entry);
  await db.query(
    `INSERT INTO flag_audit (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [at, flag, version, ...rest],
  );
}

interface AuditDbRow {
  at: Date;
  flag: string;
  actor: string;
  reason: string;
  before: RolloutSpec | null;
  after: RolloutSpec;
  context: Record<string, unknown> | null;
  recovery: Recovery | null;
}

/** Oldest first; `limit` keeps the most recent entries (as the file's audit log does). */
export async function selectAudit(
  db: Queryable,
  options: { flag?: string; limit?: number } = {},
): Promise<AuditEntry[]> {
  const r = await db.query<AuditDbRow>(
    `SELECT * FROM (
       SELECT id, at, flag, actor, reason, before, after, context, recovery FROM flag_audit
       WHERE $1::text IS NULL OR flag = $1 ORDER BY id DESC LIMIT $2
     ) recent ORDER BY id`,
    [options.flag ?? null, options.limit ?? null],
  );
  return r.rows.map((row) => ({
    time: row.at.toISOString(),
    actor: row.actor,
    reason: row.reason,
    flag: row.flag,
    before: row.before,
    after: row.after,
    ...(row.context ? { context: row.context } : {}),
    ...(row.recovery ? { recovery: row.recovery } : {}),
  }));
}
