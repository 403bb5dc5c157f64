// Versioned SQL migrations for the flag store: migrations/flags/NNNN_name.sql, applied in order and
// recorded in flag_schema_migrations, so a re-run applies only the new ones. All pending files run
// in one transaction under an advisory lock: replicas starting together apply each file once, and a
// failing file leaves the database as it was. `canary flags migrate --schema-only` runs them by hand;
// every program that opens the store runs them on start-up.
//
// The files live outside src/ (in migrations/flags at the repository root) so the same path works
// from the sources and from dist/: both sit two folders under the root.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export interface SqlMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  readonly applied: readonly SqlMigration[];
  readonly version: number;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/flags/', import.meta.url));

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Any number, so that two replicas migrating at once queue on one lock (and nothing else uses it). */
const LOCK_KEY = 727_104_311;

/** Checks the names and the sequence (1, 2, 3, … with no gaps or repeats); pure. */
export function orderMigrations(files: readonly { file: string; sql: string }[]): SqlMigration[] {
  const out: SqlMigration[] = [];
  for (const { file, sql } of files) {
    const m = FILE_NAME.exec(file);
    if (!m)
      throw new Error(
        `migration file ${file} is not named NNNN_words.sql (e.g. 0003_add_owner.sql)`,
      );
    out.push({ version: Number(m[1]), name: m[2]!.replace(/_/g, ' '), sql });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `flag store migrations must be numbered 1, 2, 3, … without gaps or repeats; found ${out.map((x) => x.version).join(', ')}`,
      );
  });
  return out;
}

export function loadMigrations(dir = MIGRATIONS_DIR): SqlMigration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => ({ file, sql: readFileSync(path.join(dir, file), 'utf8') }));
  return orderMigrations(files);
}

/** Which migrations to run; refuses a database migrated by a newer program. Pure. */
export function pendingMigrations(
  all: readonly SqlMigration[],
  applied: ReadonlySet<number>,
): SqlMigration[] {
  const newest = all.at(-1)?.version ?? 0;
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length > 0)
    throw new Error(
      `the flag store's schema is at version ${Math.max(...unknown)}, newer than this program knows (${newest}): run a newer canary against it`,
    );
  return all.filter((m) => !applied.has(m.version));
}

export async function applyMigrations(
  client: pg.ClientBase,
  all: readonly SqlMigration[] = loadMigrations(),
): Promise<MigrationReport> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS flag_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number }>(
      'SELECT version FROM flag_schema_migrations',
    );
    const pending = pendingMigrations(all, new Set(done.rows.map((r) => r.version)));
    for (const m of pending) {
      await client.query(m.sql);
      await client.query('INSERT INTO flag_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    await client.query('COMMIT');
    return { applied: pending, version: all.at(-1)?.version ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
