// The contact searches themselves: keyword searches ranked from the keyword postings
// (term-index.ts) when they are current, otherwise, and for the LLM's filters, one prepared FTS5
// ranking statement per connection with the MATCH expression built from the words or filters; a
// timing per search told to an observer. The same code runs on the main thread (readers = 0) and
// in each reader worker.
import { performance } from 'node:perf_hooks';
import type { Database } from 'better-sqlite3';
import type { SearchFilters } from '../llm/types.js';
import { filterMatch, keywordMatch, queryWords } from './fts-query.js';
import type { Contact } from './generator.js';
import {
  COLUMN_WEIGHTS,
  ftsTokenizer,
  prepareTermIndexSearch,
  TokenProbe,
  type RankedId,
} from './term-index.js';

// keyword_search: ranked from the keyword postings; keyword_search_fts5: ranked by FTS5's bm25()
// instead (postings out of date or not built, or a word that is not one token), the slow way an
// operator should see.
export const DB_OPERATIONS = [
  'keyword_search',
  'keyword_search_fts5',
  'filter_search',
  'get_user',
] as const;
export type DbOperation = (typeof DB_OPERATIONS)[number];

/** Told about every query: how long it took and, on failure, a bounded error class. */
export type DbObserver = (operation: DbOperation, seconds: number, errorType?: string) => void;

export interface ContactHit extends Contact {
  /** BM25 relevance; higher is better. */
  readonly score: number;
}

// bm25 weights by column (name, outlet, role, beats, city, country, languages, bio), shared with
// the keyword postings. Ranking runs in the FTS subquery, so only the top `limit` matches are
// joined with their contact rows.
const RANK = `bm25(contacts_fts, ${Object.values(COLUMN_WEIGHTS)
  .map((w) => w.toFixed(1))
  .join(', ')})`;
const SELECT_HITS = `SELECT c.*, f.rank AS rank FROM (
    SELECT rowid, ${RANK} AS rank FROM contacts_fts WHERE contacts_fts MATCH ? ORDER BY rank LIMIT ?
  ) f JOIN contacts c ON c.id = f.rowid ORDER BY f.rank`;

interface StoredContact extends Omit<ContactHit, 'beats' | 'languages' | 'score'> {
  readonly beats: string;
  readonly languages: string;
}

interface ContactRow extends StoredContact {
  /** bm25: lower is better. */
  readonly rank: number;
}

// Every field written out, in one order: an object built by spreading the row and overriding
// `beats` got a hidden class of its own in V8 (measured: 9 of 2,000 hits shared one), so 20,000
// cached hits held 20,000 classes and every read of them (the response serialiser) went megamorphic.
function toHit(row: StoredContact, rank: number): ContactHit {
  return {
    id: row.id,
    name: row.name,
    outlet: row.outlet,
    role: row.role,
    beats: row.beats.split(', '),
    city: row.city,
    country: row.country,
    languages: row.languages.split(', '),
    bio: row.bio,
    email: row.email,
    twitter: row.twitter,
    linkedin: row.linkedin,
    score: Math.round(-rank * 1000) / 1000,
  };
}

/** The SQLite result code of a failure (e.g. SQLITE_BUSY), else `_OTHER`: a bounded label. */
export function errorClass(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^SQLITE_[A-Z_]+$/.test(code) ? code : '_OTHER';
}

/**
 * Runs `run`, telling `observe` how long it took and, if it threw, the error class; an answer for
 * which `counts` says no (nothing was done: another way will answer) is not told.
 */
export function timed<T>(
  observe: DbObserver,
  operation: DbOperation,
  run: () => T,
  counts: (out: T) => boolean = () => true,
): T {
  const started = performance.now();
  try {
    const out = run();
    if (counts(out)) observe(operation, (performance.now() - started) / 1000);
    return out;
  } catch (err) {
    observe(operation, (performance.now() - started) / 1000, errorClass(err));
    throw err;
  }
}

export interface ContactQueries {
  keywordSearch(query: string, limit: number): ContactHit[];
  filterSearch(filters: SearchFilters, limit: number): ContactHit[];
}

/** FTS5's ranked search for a MATCH expression (best `limit`, bm25 with the column weights). */
export function prepareFtsRanking(db: Database): (match: string, limit: number) => ContactHit[] {
  const hits = db.prepare(SELECT_HITS);
  return (match, limit) =>
    (hits.all(match, limit) as ContactRow[]).map((row) => toHit(row, row.rank));
}

export function prepareContactQueries(db: Database, observe: DbObserver): ContactQueries {
  const ranked = prepareFtsRanking(db);
  const search = (op: DbOperation, match: string | undefined, limit: number) =>
    match === undefined ? [] : timed(observe, op, () => ranked(match, limit));
  const postings = prepareTermIndexSearch(db, new TokenProbe(ftsTokenizer(db)));
  const contact = db.prepare('SELECT * FROM contacts WHERE id = ?');
  const load = (ranked: RankedId[]) =>
    ranked.map(({ id, rank }) => toHit(contact.get(id) as StoredContact, rank));
  return {
    // All words first; when no contact has them all, any word (ranked, so more words rank higher).
    // Ranked from the keyword postings (term-index.ts) when they are current, else by FTS5.
    keywordSearch: (query, limit) => {
      const fast = timed(
        observe,
        'keyword_search',
        () => postings.rankKeywords(queryWords(query), limit, load),
        (out) => out !== undefined,
      );
      if (fast !== undefined) return fast;
      const all = search('keyword_search_fts5', keywordMatch(query, 'all'), limit);
      return all.length > 0
        ? all
        : search('keyword_search_fts5', keywordMatch(query, 'any'), limit);
    },
    filterSearch: (filters, limit) => search('filter_search', filterMatch(filters), limit),
  };
}
