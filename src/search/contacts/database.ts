// Opening the contacts database: read-write for migrations and seeding, read-only for serving
// (the main thread's point lookups and every reader worker's searches).
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';

function tuneForReads(db: Database): void {
  // Reads dominate: keep the index (tens of MB at 50,000 contacts, ~1 GB at 1M) in memory or mapped.
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 1073741824');
}

export function openDatabase(file: string): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  tuneForReads(db);
  return db;
}

/**
 * A connection that cannot write (SQLITE_READONLY on any attempt). The file must exist: it was
 * migrated and seeded by a read-write connection first. WAL mode is a property of the file, so
 * readers never block each other or a writer.
 */
export function openReadOnlyDatabase(file: string): Database {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  tuneForReads(db);
  return db;
}
