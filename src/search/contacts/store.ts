// The contacts database: opened once, migrated, seeded on first run, queried with prepared
// statements only. Every query is timed and reported to the observer (the metrics module).
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import type { UserSegment } from '../../flags/types.js';
import type { SearchFilters } from '../llm/types.js';
import { filterMatch, keywordMatch } from './fts-query.js';
import { generateContacts, generateUsers, type User } from './generator.js';
import { applyMigrations, type MigrationReport } from './migrations.js';

export const DB_OPERATIONS = ['keyword_search', 'filter_search', 'get_user'] as const;
export type DbOperation = (typeof DB_OPERATIONS)[number];

/** Told about every query: how long it took and, on failure, a bounded error class. */
export type DbObserver = (operation: DbOperation, seconds: number, errorType?: string) => void;

export interface ContactHit {
  readonly id: number;
  readonly name: string;
  readonly outlet: string;
  readonly role: string;
  readonly beats: readonly string[];
  readonly city: string;
  readonly country: string;
  readonly languages: readonly string[];
  readonly bio: string;
  readonly email: string;
  readonly twitter: string;
  readonly linkedin: string;
  /** BM25 relevance; higher is better. */
  readonly score: number;
}

export interface ContactsStore {
  readonly file: string;
  keywordSearch(query: string, limit: number): ContactHit[];
  filterSearch(filters: SearchFilters, limit: number): ContactHit[];
  findUser(id: string): User | undefined;
  /** The first `n` user ids of a segment (stable), for tests and synthetic traffic. */
  usersInSegment(segment: UserSegment, n: number): string[];
  counts(): { contacts: number; users: number };
  /** True while the database answers a trivial query. */
  ping(): boolean;
  close(): void;
}

export interface OpenStoreOptions {
  readonly file: string;
  /** Contacts to generate when the database is empty. */
  readonly contacts: number;
  readonly users: number;
  readonly seed?: number;
  readonly observe?: DbObserver;
}

export interface OpenedStore {
  readonly store: ContactsStore;
  readonly migrations: MigrationReport;
  /** Rows written by this start (0 when the database was already seeded). */
  readonly seeded: { contacts: number; users: number; ms: number };
}

// bm25 weights by column: name, outlet, role, beats, city, country, languages, bio. Ranking runs in
// the FTS subquery, so only the top `limit` matches are joined with their contact rows.
const RANK = 'bm25(contacts_fts, 3.0, 2.0, 2.0, 4.0, 2.5, 2.0, 1.5, 0.5)';
const SELECT_HITS = `SELECT c.*, f.rank AS rank FROM (
    SELECT rowid, ${RANK} AS rank FROM contacts_fts WHERE contacts_fts MATCH ? ORDER BY rank LIMIT ?
  ) f JOIN contacts c ON c.id = f.rowid ORDER BY f.rank`;

export function openDatabase(file: string): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Reads dominate: keep the whole index (tens of MB at 50,000 contacts) in memory.
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  return db;
}

/** Applies pending migrations and exits: what `canary db migrate` runs. */
export function migrateDatabase(file: string): MigrationReport {
  const db = openDatabase(file);
  try {
    return applyMigrations(db);
  } finally {
    db.close();
  }
}

function seedIfEmpty(db: Database, options: OpenStoreOptions): OpenedStore['seeded'] {
  const started = performance.now();
  const existing = db.prepare('SELECT count(*) FROM contacts').pluck().get() as number;
  if (existing > 0) return { contacts: 0, users: 0, ms: 0 };
  const seed = options.seed ?? 42;
  const insertContact = db.prepare(`INSERT INTO contacts
    (id, name, outlet, role, beats, city, country, languages, bio, email, twitter, linkedin)
    VALUES (@id, @name, @outlet, @role, @beats, @city, @country, @languages, @bio, @email, @twitter, @linkedin)`);
  const insertUser = db.prepare('INSERT OR IGNORE INTO users (id, segment) VALUES (?, ?)');
  db.transaction(() => {
    for (const c of generateContacts(options.contacts, seed)) {
      insertContact.run({ ...c, beats: c.beats.join(', '), languages: c.languages.join(', ') });
    }
    for (const u of generateUsers(options.users, seed)) insertUser.run(u.id, u.segment);
    db.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`);
    db.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('optimize')`);
  })();
  return { contacts: options.contacts, users: options.users, ms: performance.now() - started };
}

interface ContactRow extends Omit<ContactHit, 'beats' | 'languages' | 'score'> {
  readonly beats: string;
  readonly languages: string;
  /** bm25: lower is better. */
  readonly rank: number;
}

function toHit({ rank, ...row }: ContactRow): ContactHit {
  return {
    ...row,
    beats: row.beats.split(', '),
    languages: row.languages.split(', '),
    score: Math.round(-rank * 1000) / 1000,
  };
}

function errorClass(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_[A-Z_]+$/.test(code) ? code : '_OTHER';
}

export function openContactsStore(options: OpenStoreOptions): OpenedStore {
  const db = openDatabase(options.file);
  const migrations = applyMigrations(db);
  const seeded = seedIfEmpty(db, options);
  const observe: DbObserver = options.observe ?? (() => {});
  const hits = db.prepare(SELECT_HITS);
  const user = db.prepare('SELECT id, segment FROM users WHERE id = ?');
  const bySegment = db
    .prepare('SELECT id FROM users WHERE segment = ? ORDER BY id LIMIT ?')
    .pluck();

  function timed<T>(operation: DbOperation, run: () => T): T {
    const started = performance.now();
    try {
      const out = run();
      observe(operation, (performance.now() - started) / 1000);
      return out;
    } catch (err) {
      observe(operation, (performance.now() - started) / 1000, errorClass(err));
      throw err;
    }
  }

  const search = (op: DbOperation, match: string | undefined, limit: number, stmt: Statement) =>
    match === undefined ? [] : timed(op, () => (stmt.all(match, limit) as ContactRow[]).map(toHit));

  const store: ContactsStore = {
    file: options.file,
    // All words first; when no contact has them all, any word (ranked, so more words rank higher).
    keywordSearch: (query, limit) => {
      const all = search('keyword_search', keywordMatch(query, 'all'), limit, hits);
      return all.length > 0
        ? all
        : search('keyword_search', keywordMatch(query, 'any'), limit, hits);
    },
    filterSearch: (filters, limit) => search('filter_search', filterMatch(filters), limit, hits),
    findUser: (id) => timed('get_user', () => user.get(id) as User | undefined),
    usersInSegment: (segment, n) => bySegment.all(segment, n) as string[],
    counts: () => ({
      contacts: db.prepare('SELECT count(*) FROM contacts').pluck().get() as number,
      users: db.prepare('SELECT count(*) FROM users').pluck().get() as number,
    }),
    ping: () => {
      try {
        return db.open && db.prepare('SELECT 1').pluck().get() === 1;
      } catch {
        return false;
      }
    },
    close: () => db.close(),
  };
  return { store, migrations, seeded };
}
