// The contacts store on a real SQLite file: migrations, seeding, FTS5 search and its escaping.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrateDatabase,
  openContactsStore,
  openDatabase,
  type ContactsStore,
} from '../../src/search/contacts/store.js';

let dir = '';
let file = '';
let store: ContactsStore;
const observed: [string, string | undefined][] = [];
const none = { keywords: [], beats: [], locations: [], outlets: [], roles: [], languages: [] };

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-store-'));
  file = path.join(dir, 'contacts.sqlite');
  const opened = openContactsStore({
    file,
    contacts: 3000,
    users: 500,
    observe: (op, _s, err) => void observed.push([op, err]),
  });
  store = opened.store;
  expect(opened.migrations.applied.map((m) => m.version)).toEqual([1, 2, 3]);
  expect(opened.seeded).toMatchObject({ contacts: 3000, users: 500 });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('contacts store', () => {
  it('applies migrations once and seeds only an empty database', async () => {
    const again = openContactsStore({ file, contacts: 10, users: 10 });
    expect(again.migrations).toEqual({ applied: [], version: 3 });
    expect(again.seeded.contacts).toBe(0);
    expect(again.store.counts()).toEqual({ contacts: 3000, users: 500 });
    await again.store.close();
    expect(migrateDatabase(file)).toMatchObject({ applied: [], termIndex: { state: 'current' } });
  });

  it('runs in WAL mode', () => {
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('finds contacts by keyword with stemming, best match first', async () => {
    const hits = await store.keywordSearch('climate reporters Berlin', 10);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]!.city).toBe('Berlin');
    expect(hits[0]!.beats).toContain('climate');
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('falls back to any word when no contact has them all', async () => {
    const hits = await store.keywordSearch('climate zzzunknownzzz', 5);
    expect(hits.length).toBe(5);
  });

  it('applies each filter to its own column', async () => {
    const hits = await store.filterSearch(
      { ...none, beats: ['sports'], locations: ['Germany'] },
      50,
    );
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      expect(h.beats).toContain('sports');
      expect(h.country).toBe('Germany');
    }
    // An outlet name is not a location: column filters do not leak into other fields.
    expect(await store.filterSearch({ ...none, locations: ['Bloomberg'] }, 5)).toEqual([]);
  });

  it('looks up users and their segment; unknown ids are absent', () => {
    const [id] = store.usersInSegment('beta-users', 1);
    expect(store.findUser(id!)).toEqual({ id, segment: 'beta-users' });
    expect(store.findUser('u-999999')).toBeUndefined();
  });

  it('never fails and never changes data, whatever the query text (property)', async () => {
    const before = store.counts();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.array(fc.string({ minLength: 1, maxLength: 64 }), { maxLength: 5 }),
        async (q, terms) => {
          await store.keywordSearch(q, 5);
          await store.filterSearch({ ...none, keywords: terms, outlets: terms }, 5);
        },
      ),
      { numRuns: 300 },
    );
    expect(store.counts()).toEqual(before);
    expect(observed.filter(([, err]) => err !== undefined)).toEqual([]);
  });

  it('reports each query to the observer', async () => {
    observed.length = 0;
    await store.keywordSearch('climate', 1);
    store.findUser('u-000001');
    expect(observed).toEqual([
      ['keyword_search', undefined],
      ['get_user', undefined],
    ]);
  });
});

describe('contacts store with the result cache', () => {
  let cdir = '';
  let cfile = '';
  let cached: ContactsStore;
  let plain: ContactsStore;
  const lookups: string[] = [];
  const dbQueries: string[] = [];

  beforeAll(() => {
    cdir = mkdtempSync(path.join(os.tmpdir(), 'search-store-cache-'));
    cfile = path.join(cdir, 'contacts.sqlite');
    plain = openContactsStore({ file: cfile, contacts: 3000, users: 10 }).store;
    cached = openContactsStore({
      file: cfile,
      contacts: 3000,
      users: 10,
      resultCacheRows: 1000,
      onCacheLookup: (r) => void lookups.push(r),
      observe: (op) => void dbQueries.push(op),
    }).store;
  });

  afterAll(async () => {
    await cached?.close();
    await plain?.close();
    rmSync(cdir, { recursive: true, force: true });
  });

  // The ranking of the seeded data (seed 42, 3000 contacts) for known queries: a change to the
  // query, the index or the cache that reorders results shows here. Update only on purpose.
  const KNOWN_TOP: [string, number[]][] = [
    ['technology editor', [86, 1643, 886, 431, 662]],
    ['climate reporters in Berlin', [2460]],
    ['health journalists London', [1029, 1569, 2368, 2149, 1548]],
    ['Müller', [2958, 288, 857, 1267, 1609]],
    ['fashion Paris columnist', [1648]],
    ['gaming podcaster Tokyo', [2526, 2606, 599, 266, 693]],
  ];

  it('answers exactly as without it (ranking included), queried once per distinct search', async () => {
    const queries = ['technology editor', 'climate reporters in Berlin', 'Müller', 'sports Madrid'];
    for (const q of queries) {
      const want = await plain.keywordSearch(q, 10);
      expect(await cached.keywordSearch(q, 10)).toEqual(want);
      // Same words, other spelling: the same search, answered from the cache.
      expect(await cached.keywordSearch(`  ${q.toUpperCase()}!! `, 10)).toEqual(want);
      expect(await cached.keywordSearch(q, 3)).toEqual(want.slice(0, 3));
    }
    const filters = { ...none, beats: ['sports'], locations: ['Germany'] };
    const want = await plain.filterSearch(filters, 20);
    expect(await cached.filterSearch(filters, 20)).toEqual(want);
    expect(await cached.filterSearch({ ...filters }, 20)).toEqual(want);
    expect(dbQueries.filter((op) => op === 'keyword_search').length).toBe(queries.length * 2);
    expect(dbQueries.filter((op) => op === 'filter_search').length).toBe(1);
    expect(lookups.filter((r) => r === 'hit').length).toBe(queries.length + 1);
  });

  it('keeps the known top results of known queries', async () => {
    for (const [q, ids] of KNOWN_TOP) {
      expect(
        (await cached.keywordSearch(q, 5)).map((h) => h.id),
        q,
      ).toEqual(ids);
    }
  });

  it('serves no cached answer once another connection changed the data', async () => {
    expect(await cached.keywordSearch('Zyxwvutsky', 5)).toEqual([]);
    const writer = openDatabase(cfile);
    try {
      writer
        .prepare(
          `INSERT INTO contacts (id, name, outlet, role, beats, city, country, languages, bio, email, twitter, linkedin)
           VALUES (9000001, 'Ada Zyxwvutsky', 'Reuters', 'editor', 'science', 'Oslo', 'Norway', 'English', 'New.', 'ada@x.example', '@ada', 'https://x.example/ada')`,
        )
        .run();
      writer
        .prepare(
          `INSERT INTO contacts_fts (rowid, name, outlet, role, beats, city, country, languages, bio)
           SELECT id, name, outlet, role, beats, city, country, languages, bio FROM contacts WHERE id = 9000001`,
        )
        .run();
    } finally {
      writer.close();
    }
    expect((await cached.keywordSearch('Zyxwvutsky', 5)).map((h) => h.id)).toEqual([9000001]);
  });
});
