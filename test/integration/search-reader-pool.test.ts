// Searches in reader worker threads on a real SQLite file: the same answers as on the main thread,
// read-only connections that WAL keeps unblocked by a writer, a crashed worker replaced while its
// searches fail as DB errors (never hang), errors counted, and no thread left after close.
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, openReadOnlyDatabase } from '../../src/search/contacts/database.js';
import type { DbOperation } from '../../src/search/contacts/queries.js';
import { DbQueryError, ReaderPool, READER_EXITED } from '../../src/search/contacts/reader-pool.js';
import { openContactsStore, type ContactsStore } from '../../src/search/contacts/store.js';

let dir = '';
let file = '';
let onMain: ContactsStore;
const none = { keywords: [], beats: [], locations: [], outlets: [], roles: [], languages: [] };
const crashingReader = new URL('../fixtures/crashing-contacts-reader.ts', import.meta.url);
const threads = () => readdirSync('/proc/self/task').length;

type Seen = [DbOperation, string | undefined];
function recorder() {
  const seen: Seen[] = [];
  return {
    seen,
    observe: (op: DbOperation, _s: number, err?: string) => void seen.push([op, err]),
  };
}

/** Resolves when `cond` holds; checked on every turn of the event loop, for at most `ms`. */
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-readers-'));
  file = path.join(dir, 'contacts.sqlite');
  onMain = openContactsStore({ file, contacts: 3000, users: 100, readers: 0 }).store;
});

afterAll(async () => {
  await onMain?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reader worker pool', () => {
  it('answers exactly what the main thread answers, ranking included', async () => {
    const rec = recorder();
    const pooled = openContactsStore({
      file,
      contacts: 3000,
      users: 100,
      readers: 2,
      observe: rec.observe,
    }).store;
    try {
      const queries = ['climate reporters Berlin', 'technology editor', 'Müller', 'zzz sports'];
      for (const q of queries) {
        expect(await pooled.keywordSearch(q, 10)).toEqual(await onMain.keywordSearch(q, 10));
      }
      const filters = { ...none, beats: ['sports'], locations: ['Germany'] };
      expect(await pooled.filterSearch(filters, 20)).toEqual(
        await onMain.filterSearch(filters, 20),
      );
      // Many at once, spread over both workers: each caller gets its own answer.
      const parallel = await Promise.all(queries.map((q) => pooled.keywordSearch(q, 3)));
      for (const [i, q] of queries.entries()) {
        expect(parallel[i]).toEqual(await onMain.keywordSearch(q, 3));
      }
      // Timings taken in the workers reach the observer here: one per keyword search (the
      // postings answer "all words", then "any word", in one read).
      expect(rec.seen.filter(([op]) => op === 'keyword_search').length).toBe(8);
      expect(rec.seen.every(([, err]) => err === undefined)).toBe(true);
    } finally {
      await pooled.close();
    }
  });

  it('serves on read-only connections that a writer in WAL mode does not block', async () => {
    const ro = openReadOnlyDatabase(file);
    expect(() => ro.prepare(`UPDATE users SET segment = 'public'`).run()).toThrow(
      expect.objectContaining({ code: 'SQLITE_READONLY' }),
    );
    ro.close();
    const pool = new ReaderPool({ file, size: 1, observe: () => {} });
    const writer = openDatabase(file);
    try {
      writer.exec('BEGIN IMMEDIATE');
      writer.exec(`DELETE FROM contacts_fts`);
      // The writer holds its lock with the index emptied; readers still see the committed data.
      expect((await pool.keywordSearch('climate', 5)).length).toBe(5);
      writer.exec('ROLLBACK');
    } finally {
      writer.close();
      await pool.close();
    }
  });

  it('fails the searches of a crashed worker at once, counts them, and replaces the worker', async () => {
    const rec = recorder();
    const exits: number[] = [];
    const pool = new ReaderPool({
      file,
      size: 1,
      observe: rec.observe,
      workerUrl: crashingReader,
      onWorkerExit: ({ code }) => void exits.push(code),
    });
    try {
      expect((await pool.keywordSearch('climate', 2)).length).toBe(2);
      const crash = pool.keywordSearch('crash-now', 2);
      await expect(crash).rejects.toBeInstanceOf(DbQueryError);
      await expect(crash).rejects.toThrow(/reader thread exited \(code 7\)/);
      expect(exits).toEqual([7]);
      expect(rec.seen.at(-1)).toEqual(['keyword_search', READER_EXITED]);
      // While the replacement starts, a search fails fast instead of waiting on a dead thread.
      if (pool.liveWorkers === 0) {
        await expect(pool.keywordSearch('climate', 2)).rejects.toBeInstanceOf(DbQueryError);
      }
      await until(() => pool.liveWorkers === 1);
      expect((await pool.keywordSearch('climate', 2)).length).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('reports a failed query with its SQLite code as a DB error', async () => {
    const broken = path.join(dir, 'broken.sqlite');
    const opened = openContactsStore({ file: broken, contacts: 200, users: 10 });
    await opened.store.close();
    const rec = recorder();
    const pool = new ReaderPool({ file: broken, size: 1, observe: rec.observe });
    try {
      expect((await pool.keywordSearch('climate', 1)).length).toBe(1);
      const writer = openDatabase(broken);
      writer.exec('DROP TABLE contacts_fts');
      writer.close();
      await expect(pool.keywordSearch('climate', 1)).rejects.toMatchObject({
        name: 'DbQueryError',
        code: 'SQLITE_ERROR',
      });
      expect(rec.seen.at(-1)).toEqual(['keyword_search', 'SQLITE_ERROR']);
      expect(pool.liveWorkers).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('leaves no thread behind when closed, and refuses searches after', async () => {
    const before = threads();
    const pool = new ReaderPool({ file, size: 2, observe: () => {} });
    await Promise.all([pool.keywordSearch('climate', 1), pool.keywordSearch('sports', 1)]);
    expect(threads()).toBeGreaterThanOrEqual(before + 2);
    await pool.close();
    expect(pool.liveWorkers).toBe(0);
    await until(() => threads() <= before);
    await expect(pool.keywordSearch('climate', 1)).rejects.toThrow(/closed/);
  });

  it('lets the searches in flight answer when closed (graceful stop)', async () => {
    const pool = new ReaderPool({ file, size: 2, observe: () => {} });
    const inFlight = [
      pool.keywordSearch('climate', 3),
      pool.filterSearch({ ...none, beats: ['sports'] }, 3),
    ];
    const closed = pool.close();
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.length)).toEqual([3, 3]);
    await closed;
    expect(pool.liveWorkers).toBe(0);
  });
});
