// The contacts database: migrated and seeded on first run by a read-write connection, then served
// read-only. Point lookups (users) run on the main thread's connection: they take microseconds.
// Searches (the ranking, most of a search's CPU: keyword postings or FTS5) run in a pool of reader
// workers, or on the main thread when `readers` is 0. Every query is timed and reported to the
// observer.
import { performance } from 'node:perf_hooks';
import type { Database } from 'better-sqlite3';
import type { UserSegment } from '../../flags/types.js';
import type { SearchFilters } from '../llm/types.js';
import { openDatabase, openReadOnlyDatabase } from './database.js';
import { generateContacts, generateUsers, type User } from './generator.js';
import { applyMigrations, type MigrationReport } from './migrations.js';
import {
  prepareContactQueries,
  timed,
  type ContactHit,
  type DbObserver,
  type DbOperation,
} from './queries.js';
import { ReaderPool, type ReaderExit } from './reader-pool.js';
import { ResultCache, type CacheLookup } from './result-cache.js';
import { filterMatch, queryWords } from './fts-query.js';
import { buildTermIndex, termIndexCurrent, type TermIndexBuild } from './term-index.js';

export { DB_OPERATIONS } from './queries.js';
export type { ContactHit, DbObserver, DbOperation };
export { openDatabase, openReadOnlyDatabase };

export interface ContactsStore {
  readonly file: string;
  keywordSearch(query: string, limit: number): Promise<readonly ContactHit[]>;
  filterSearch(filters: SearchFilters, limit: number): Promise<readonly ContactHit[]>;
  findUser(id: string): User | undefined;
  /** The first `n` user ids of a segment (stable), for tests and synthetic traffic. */
  usersInSegment(segment: UserSegment, n: number): string[];
  counts(): { contacts: number; users: number };
  /** `ok` while the database answers a trivial query and a reader (if any) is running. */
  ping(): StorePing;
  /** Closes the connection and stops the reader workers (resolves once they have exited). */
  close(): Promise<void>;
}

/** What /readyz reports: each failure names its own fix. */
export type StorePing = 'ok' | 'database-closed' | 'no-readers';

export interface OpenStoreOptions {
  readonly file: string;
  /** Contacts to generate when the database is empty. */
  readonly contacts: number;
  readonly users: number;
  readonly seed?: number;
  readonly observe?: DbObserver;
  /** Reader worker threads for searches; 0 runs them on the calling thread. Default 0. */
  readonly readers?: number;
  /** Told when a reader worker exits unexpectedly (it is replaced). */
  readonly onReaderExit?: (info: ReaderExit) => void;
  /** Contacts kept in the result cache (src/search/contacts/result-cache.ts); 0 (default) = none. */
  readonly resultCacheRows?: number;
  /** Told about every result-cache lookup. */
  readonly onCacheLookup?: (result: CacheLookup) => void;
}

export interface OpenedStore {
  readonly store: ContactsStore;
  readonly migrations: MigrationReport;
  /** Rows written by this start (0 when the database was already seeded). */
  readonly seeded: { contacts: number; users: number; ms: number };
  readonly termIndex: TermIndexReport;
}

/**
 * The keyword postings (term-index.ts): already current, built now, or not buildable (then FTS5
 * ranks every keyword search, slower but the same answers) with the reason.
 */
export type TermIndexReport =
  | { readonly state: 'current' }
  | ({ readonly state: 'built' } & TermIndexBuild)
  | { readonly state: 'failed'; readonly error: string };

/**
 * Builds the keyword postings when they do not match the FTS index (a new seed, or a database
 * seeded before migration 3). Call inside a write transaction; a failure rolls back only the build.
 */
function ensureTermIndex(db: Database): TermIndexReport {
  try {
    if (termIndexCurrent(db)) return { state: 'current' };
    return { state: 'built', ...db.transaction(() => buildTermIndex(db))() };
  } catch (err) {
    return { state: 'failed', error: (err as Error).message };
  }
}

/** Applies pending migrations (and builds the keyword postings if needed): `--migrate-only`. */
export function migrateDatabase(file: string): MigrationReport & { termIndex: TermIndexReport } {
  const db = openDatabase(file);
  try {
    return db
      .transaction(() => ({ ...applyMigrations(db), termIndex: ensureTermIndex(db) }))
      .immediate();
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
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertUser = db.prepare('INSERT OR IGNORE INTO users (id, segment) VALUES (?, ?)');
  db.transaction(() => {
    for (const c of generateContacts(options.contacts, seed)) {
      insertContact.run(
        c.id,
        c.name,
        c.outlet,
        c.role,
        c.beats.join(', '),
        c.city,
        c.country,
        c.languages.join(', '),
        c.bio,
        c.email,
        c.twitter,
        c.linkedin,
      );
    }
    for (const u of generateUsers(options.users, seed)) insertUser.run(u.id, u.segment);
    // One index build over all rows is much cheaper than updating it row by row.
    db.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`);
    db.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('optimize')`);
  })();
  return { contacts: options.contacts, users: options.users, ms: performance.now() - started };
}

/**
 * How long a replica waits for another one that is migrating or seeding the same file (they
 * start together under `docker-compose up --scale`): seeding 50,000 contacts takes seconds, on a
 * busy machine tens of them; the default 5 s would fail the late starters with SQLITE_BUSY.
 */
const PREPARE_BUSY_TIMEOUT_MS = 180_000;

/**
 * Migrations and seeding in one IMMEDIATE transaction: of several processes opening the same new
 * file at once, one migrates and seeds, and the others wait for its write lock, then find the
 * schema current and the tables full (no "table already exists", no second seed).
 */
function prepareDatabase(file: string, options: OpenStoreOptions) {
  const writer = openDatabase(file);
  try {
    writer.pragma(`busy_timeout = ${PREPARE_BUSY_TIMEOUT_MS}`);
    const prepared = writer
      .transaction(() => ({
        migrations: applyMigrations(writer),
        seeded: seedIfEmpty(writer, options),
        termIndex: ensureTermIndex(writer),
      }))
      .immediate();
    // Into the database file now, so readers start without a WAL the size of the data set.
    if (prepared.seeded.contacts > 0) writer.pragma('wal_checkpoint(TRUNCATE)');
    return prepared;
  } finally {
    writer.close();
  }
}

export function openContactsStore(options: OpenStoreOptions): OpenedStore {
  const { migrations, seeded, termIndex } = prepareDatabase(options.file, options);
  const db = openReadOnlyDatabase(options.file);
  const observe: DbObserver = options.observe ?? (() => {});
  const user = db.prepare('SELECT id, segment FROM users WHERE id = ?');
  const bySegment = db
    .prepare('SELECT id FROM users WHERE segment = ? ORDER BY id LIMIT ?')
    .pluck();
  const readers = options.readers ?? 0;
  const pool =
    readers > 0
      ? new ReaderPool({
          file: options.file,
          size: readers,
          observe,
          ...(options.onReaderExit ? { onWorkerExit: options.onReaderExit } : {}),
        })
      : undefined;
  const here = pool ? undefined : prepareContactQueries(db, observe);
  // Same interface either way; a failure on the calling thread becomes a rejected promise too.
  const onThisThread = <T>(run: () => T): Promise<T> => {
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };

  const keywordSearch = (query: string, limit: number) =>
    pool ? pool.keywordSearch(query, limit) : onThisThread(() => here!.keywordSearch(query, limit));
  const filterSearch = (filters: SearchFilters, limit: number) =>
    pool
      ? pool.filterSearch(filters, limit)
      : onThisThread(() => here!.filterSearch(filters, limit));
  // data_version changes when another connection commits: then no cached answer is served.
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const cache =
    (options.resultCacheRows ?? 0) > 0
      ? new ResultCache({
          maxRows: options.resultCacheRows!,
          version: () => dataVersion.get() as number,
          ...(options.onCacheLookup ? { onLookup: options.onCacheLookup } : {}),
        })
      : undefined;

  const store: ContactsStore = {
    file: options.file,
    // The key is what the answer depends on: the query's words (as the MATCH uses them) or the
    // filters' MATCH expression, and the limit.
    keywordSearch: (query, limit) =>
      cache
        ? cache.get(`k${limit} ${queryWords(query).join(' ')}`, () => keywordSearch(query, limit))
        : keywordSearch(query, limit),
    filterSearch: (filters, limit) =>
      cache
        ? cache.get(`f${limit} ${filterMatch(filters) ?? ''}`, () => filterSearch(filters, limit))
        : filterSearch(filters, limit),
    findUser: (id) => timed(observe, 'get_user', () => user.get(id) as User | undefined),
    usersInSegment: (segment, n) => bySegment.all(segment, n) as string[],
    counts: () => ({
      contacts: db.prepare('SELECT count(*) FROM contacts').pluck().get() as number,
      users: db.prepare('SELECT count(*) FROM users').pluck().get() as number,
    }),
    ping: () => {
      try {
        if (!db.open || db.prepare('SELECT 1').pluck().get() !== 1) return 'database-closed';
      } catch {
        return 'database-closed';
      }
      return pool === undefined || pool.liveWorkers > 0 ? 'ok' : 'no-readers';
    },
    // The connection closes at once (the store is not ready from here on); the workers after.
    close: async () => {
      if (db.open) db.close();
      await pool?.close();
    },
  };
  return { store, migrations, seeded, termIndex };
}
