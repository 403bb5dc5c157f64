// The contacts database: migrated and seeded on first run by a read-write connection, then served
// read-only. Point lookups (users) run on the main thread's connection: they take microseconds.
// Searches (the FTS5 ranking query, most of a search's CPU) run in a pool of reader workers, or on
// the main thread when `readers` is 0. Every query is timed and reported to the observer.
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

export { DB_OPERATIONS } from './queries.js';
export type { ContactHit, DbObserver, DbOperation };
export { openDatabase, openReadOnlyDatabase };

export interface ContactsStore {
  readonly file: string;
  keywordSearch(query: string, limit: number): Promise<ContactHit[]>;
  filterSearch(filters: SearchFilters, limit: number): Promise<ContactHit[]>;
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
}

export interface OpenedStore {
  readonly store: ContactsStore;
  readonly migrations: MigrationReport;
  /** Rows written by this start (0 when the database was already seeded). */
  readonly seeded: { contacts: number; users: number; ms: number };
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
  const { migrations, seeded } = prepareDatabase(options.file, options);
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

  const store: ContactsStore = {
    file: options.file,
    keywordSearch: (query, limit) =>
      pool
        ? pool.keywordSearch(query, limit)
        : onThisThread(() => here!.keywordSearch(query, limit)),
    filterSearch: (filters, limit) =>
      pool
        ? pool.filterSearch(filters, limit)
        : onThisThread(() => here!.filterSearch(filters, limit)),
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
  return { store, migrations, seeded };
}
