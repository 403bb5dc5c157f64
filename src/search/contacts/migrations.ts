// Versioned schema migrations, applied in order at start-up (and by `canary db migrate`). Each runs
// in its own transaction and is recorded in schema_migrations, so a re-run applies only new ones.
import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'contacts and users',
    sql: `
      CREATE TABLE contacts (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL,
        outlet    TEXT NOT NULL,
        role      TEXT NOT NULL,
        beats     TEXT NOT NULL,
        city      TEXT NOT NULL,
        country   TEXT NOT NULL,
        languages TEXT NOT NULL,
        bio       TEXT NOT NULL,
        email     TEXT NOT NULL UNIQUE,
        twitter   TEXT NOT NULL,
        linkedin  TEXT NOT NULL
      );
      CREATE TABLE users (
        id      TEXT PRIMARY KEY,
        segment TEXT NOT NULL CHECK (segment IN ('internal-users', 'beta-users', 'public'))
      ) WITHOUT ROWID;
      CREATE INDEX users_by_segment ON users (segment, id);`,
  },
  {
    version: 2,
    name: 'full-text index on contacts (FTS5, porter stemming)',
    // External-content index: contacts are written only by the seeder, which rebuilds it once.
    sql: `
      CREATE VIRTUAL TABLE contacts_fts USING fts5(
        name, outlet, role, beats, city, country, languages, bio,
        content = 'contacts', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );`,
  },
  {
    version: 3,
    name: 'keyword postings beside the FTS index (term-index.ts)',
    // Filled by buildTermIndex whenever the FTS index is rebuilt; empty means "rank with FTS5".
    sql: `
      CREATE TABLE contact_terms (
        term     TEXT PRIMARY KEY,
        postings BLOB NOT NULL
      );
      CREATE TABLE contact_terms_meta (
        k TEXT PRIMARY KEY,
        v INTEGER NOT NULL
      ) WITHOUT ROWID;`,
  },
];

export interface MigrationReport {
  readonly applied: readonly Migration[];
  readonly version: number;
}

export function applyMigrations(db: Database, migrations = MIGRATIONS): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .pluck()
      .all()
      .map((v) => Number(v)),
  );
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: Migration[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m);
  }
  const version = Math.max(0, ...done, ...applied.map((m) => m.version));
  return { applied, version };
}
