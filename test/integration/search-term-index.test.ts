// The keyword postings (src/search/contacts/term-index.ts) against FTS5 itself on a real SQLite
// file: the same ranks as bm25() for the same query, ties aside; never used when they do not
// match the FTS index; built on an upgrade; and a database they cannot be built for still serves.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEATS, CITIES, OUTLETS, ROLES } from '../../src/llm-sim/vocabulary.js';
import { openDatabase, openReadOnlyDatabase } from '../../src/search/contacts/database.js';
import { keywordMatch, queryWords } from '../../src/search/contacts/fts-query.js';
import { applyMigrations } from '../../src/search/contacts/migrations.js';
import { prepareContactQueries } from '../../src/search/contacts/queries.js';
import { migrateDatabase, openContactsStore } from '../../src/search/contacts/store.js';
import {
  buildTermIndex,
  ftsTokenizer,
  prepareTermIndexSearch,
  termIndexCurrent,
  TokenProbe,
  type RankedId,
} from '../../src/search/contacts/term-index.js';
import { BENCH_QUERIES, distinctQueries } from '../../bench/search-queries.js';

const RANK = 'bm25(contacts_fts, 3.0, 2.0, 2.0, 4.0, 2.5, 2.0, 1.5, 0.5)';
let dir = '';
let file = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'term-index-'));
  file = path.join(dir, 'contacts.sqlite');
  const opened = openContactsStore({ file, contacts: 4000, users: 10 });
  expect(opened.termIndex).toMatchObject({ state: 'built', terms: expect.any(Number) });
  await opened.store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** FTS5's answer, the way the service asked it before the postings: all words, else any. */
function fromFts(db: ReturnType<typeof openReadOnlyDatabase>, query: string, limit: number) {
  const ranked = db.prepare(
    `SELECT rowid AS id, ${RANK} AS rank FROM contacts_fts WHERE contacts_fts MATCH ?
     ORDER BY rank LIMIT ?`,
  );
  const all = ranked.all(keywordMatch(query, 'all'), limit) as RankedId[];
  if (all.length > 0) return { how: 'all' as const, hits: all };
  return { how: 'any' as const, hits: ranked.all(keywordMatch(query, 'any'), limit) as RankedId[] };
}

describe('keyword postings', () => {
  // To 12 decimals, not to the bit: JavaScript's Math.log and C's log() may round the IDF's last
  // bit differently (seen: -8.981208959818566 against -8.981208959818568).
  it('rank as FTS5 bm25() does: same ranks in the same order, each id scored as FTS5 scores it', () => {
    const db = openReadOnlyDatabase(file);
    const index = prepareTermIndexSearch(db, new TokenProbe(ftsTokenizer(db)));
    // FTS5's score of one row for a query (its IDF still counts over the whole table).
    const rowRank = db
      .prepare(
        `SELECT ${RANK} FROM contacts_fts WHERE contacts_fts MATCH ? AND rowid >= ? AND rowid <= ?`,
      )
      .pluck();
    const check = (query: string, limit: number) => {
      const mine = index.rankKeywords(queryWords(query), limit, (r) => r);
      // Only stop words: nothing to search for either way.
      if (keywordMatch(query, 'all') === undefined) return expect(mine).toBeUndefined();
      expect(mine, query).toBeDefined();
      const theirs = fromFts(db, query, limit);
      expect(mine!.length, query).toBe(theirs.hits.length);
      mine!.forEach((h, i) => {
        expect(h.rank, query).toBeCloseTo(theirs.hits[i]!.rank, 12);
        const own = rowRank.get(keywordMatch(query, theirs.how), h.id, h.id) as number;
        expect(h.rank, `${query} #${h.id}`).toBeCloseTo(own, 12);
      });
      return theirs.how;
    };
    const hows = [...BENCH_QUERIES, ...distinctQueries().slice(0, 400)].map((q) => check(q, 10));
    // Both paths are exercised: some queries match no contact with every word.
    expect(hows).toContain('all');
    expect(hows).toContain('any');
    // Random word sets from the vocabulary, repeated stems ("report reporters") and unknown words.
    const words = [...BEATS, ...ROLES, ...OUTLETS, ...CITIES.map((c) => c.city)]
      .join(' ')
      .split(' ')
      .concat(['reporter', 'reports', 'zzzunknown', 'Müller', 'years', 'the', 'of']);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 60 }),
        (picked, limit) => void check(picked.join(' '), limit),
      ),
      { numRuns: 300 },
    );
    db.close();
  });

  it('break ties by contact id and return at most the limit', () => {
    const db = openReadOnlyDatabase(file);
    const index = prepareTermIndexSearch(db, new TokenProbe(ftsTokenizer(db)));
    const hits = index.rankKeywords(['editor'], 100, (r) => r)!;
    expect(hits).toHaveLength(100);
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1]!, hits[i]!];
      expect(a.rank < b.rank || (a.rank === b.rank && a.id < b.id)).toBe(true);
    }
    expect(index.rankKeywords(['zzzunknown'], 10, (r) => r)).toEqual([]);
    db.close();
  });

  it('leave a word that is not exactly one token to FTS5', () => {
    const db = openReadOnlyDatabase(file);
    const probe = new TokenProbe(ftsTokenizer(db));
    expect(probe.tokens('Reporters')).toEqual(['report']);
    expect(probe.tokens('Müller')).toEqual(['muller']);
    expect(probe.tokens('new york')).toEqual(['new', 'york']);
    expect(probe.tokens('—')).toEqual([]);
    const index = prepareTermIndexSearch(db, probe);
    expect(index.rankKeywords(['climate', 'new york'], 10, (r) => r)).toBeUndefined();
    expect(index.rankKeywords(['—'], 10, (r) => r)).toBeUndefined();
    db.close();
    probe.close();
  });

  it('are not used once the FTS index changed under them, and are rebuilt at the next start', async () => {
    const copy = path.join(dir, 'changed.sqlite');
    const source = openDatabase(file);
    await source.backup(copy);
    source.close();
    const writer = openDatabase(copy);
    writer
      .prepare(
        `INSERT INTO contacts (id, name, outlet, role, beats, city, country, languages, bio,
          email, twitter, linkedin) VALUES (100000, 'Ada Climate', 'Wire', 'reporter',
          'climate', 'Berlin', 'Germany', 'German', 'climate climate climate', 'ada@example.org',
          '@ada', 'ada')`,
      )
      .run();
    writer.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`);
    expect(termIndexCurrent(writer)).toBe(false);
    writer.close();

    // The store still answers, from FTS5, and says so: the new contact is found first, timed as
    // keyword_search_fts5 (the slow way, for the operator's dashboard).
    const stale = openDatabase(copy);
    const index = prepareTermIndexSearch(stale, new TokenProbe(ftsTokenizer(stale)));
    expect(index.rankKeywords(['climate'], 5, (r) => r)).toBeUndefined();
    const ops: string[] = [];
    const queries = prepareContactQueries(stale, (op) => void ops.push(op));
    expect(queries.keywordSearch('climate', 5)[0]!.id).toBe(100000);
    expect(ops).toEqual(['keyword_search_fts5']);
    stale.close();
    // Opening the store prepares the database again: the postings are rebuilt and used.
    const opened = openContactsStore({ file: copy, contacts: 4000, users: 10 });
    expect(opened.termIndex.state).toBe('built');
    const hits = await opened.store.keywordSearch('climate', 5);
    expect(hits[0]!.id).toBe(100000);
    await opened.store.close();
    expect(migrateDatabase(copy).termIndex).toEqual({ state: 'current' });
  });

  it('a database the postings cannot be built for still serves every search (from FTS5)', async () => {
    const odd = path.join(dir, 'odd.sqlite');
    const writer = openDatabase(odd);
    applyMigrations(writer);
    // One contact longer than the postings can describe (a row length is 16 bits).
    writer
      .prepare(
        `INSERT INTO contacts (id, name, outlet, role, beats, city, country, languages, bio,
          email, twitter, linkedin) VALUES (1, 'Long Bio', 'Wire', 'reporter', 'climate',
          'Berlin', 'Germany', 'German', ?, 'long@example.org', '@long', 'long')`,
      )
      .run('word '.repeat(70_000));
    writer.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`);
    expect(() => buildTermIndex(writer)).toThrow(/contact 1 has 70\d{3} tokens \(at most 65,535\)/);
    writer.close();
    // A contact id too large for the per-id arrays.
    const sparse = path.join(dir, 'sparse.sqlite');
    const w2 = openDatabase(sparse);
    applyMigrations(w2);
    w2.prepare(
      `INSERT INTO contacts (id, name, outlet, role, beats, city, country, languages, bio,
        email, twitter, linkedin) VALUES (20000000, 'Far Id', 'Wire', 'reporter', 'climate',
        'Berlin', 'Germany', 'German', 'bio', 'far@example.org', '@far', 'far')`,
    ).run();
    w2.exec(`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`);
    expect(() => buildTermIndex(w2)).toThrow('contact id 20000000 is above 16777216');
    w2.close();
    const opened = openContactsStore({ file: odd, contacts: 10, users: 10 });
    expect(opened.termIndex).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/at most 65,535/),
    });
    expect((await opened.store.keywordSearch('climate reporter', 5)).map((h) => h.id)).toEqual([1]);
    await opened.store.close();
  });
});
