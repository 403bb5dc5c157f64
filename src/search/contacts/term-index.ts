// The keyword ranking without FTS5's bm25(): per-term postings precomputed when the FTS index is
// built, ranked here with the same formula, weights and statistics.
//
// Why: at 1M contacts a keyword search spent ~14 ms in the ranked FTS5 query against ~4 ms to find
// the same matches unranked (docs/performance.md). bm25() counts each phrase's matching rows by
// scanning its whole doclist on every query (the IDF) and reads every match's position list and
// column sizes; here a term's document count is its postings' length and each posting carries the
// weighted frequency and the row's length, so a query reads its terms' postings (one blob each)
// and scores only the rows that match.
//
// Same answer as FTS5: the index is built from FTS5's own tokens (the `instance` fts5vocab table),
// query words are tokenized by an FTS5 table with the same tokenizer, and the score is bm25()'s
// formula (sqlite ext/fts5/fts5_aux.c: k1 = 1.2, b = 0.75, IDF floor 1e-6) in the same order of
// operations. Ties are broken by contact id (FTS5 leaves their order unspecified). A test compares
// the two on every bench query and on random ones.
//
// Never stale: the seeder builds the postings in the transaction that rebuilds the FTS index, and
// each search checks, in the same read transaction as its postings, that the index was built for
// the FTS index's current row count and token total; otherwise (or for a word that is not exactly
// one token, or on a big-endian machine) the caller runs the FTS5 query.
import os from 'node:os';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { LruMap } from '../../shared/lru-map.js';

/**
 * The tokenizer `contacts_fts` was created with, read from its own definition (migration 2), so
 * the query words' probe tokenizes as the index did even if a later migration changes it.
 */
export function ftsTokenizer(db: Database): string {
  const sql = db
    .prepare("SELECT sql FROM sqlite_master WHERE name = 'contacts_fts'")
    .pluck()
    .get() as string | undefined;
  // FTS5's default when the table names none.
  return /tokenize\s*=\s*'([^']*)'/.exec(sql ?? '')?.[1] ?? 'unicode61';
}

/** bm25 weight per FTS column, in column order. */
export const COLUMN_WEIGHTS: Readonly<Record<string, number>> = {
  name: 3.0,
  outlet: 2.0,
  role: 2.0,
  beats: 4.0,
  city: 2.5,
  country: 2.0,
  languages: 1.5,
  bio: 0.5,
};

/** Layout of a postings blob; a built index with another version is not used. */
const LAYOUT = 1;
const K1 = 1.2;
const B = 0.75;
/** Weighted frequencies are stored doubled in 16 bits: every weight is a multiple of 0.5. */
const MAX_STORED = 0xffff;

/** One term's postings: ascending contact ids, 2 × weighted frequency, the row's token count. */
interface Postings {
  readonly docs: Uint32Array;
  readonly freq2: Uint16Array;
  readonly length: Uint16Array;
}

/** An FTS5/SQLite varint (big-endian, 7 bits a byte, the 9th byte whole) at `at`. */
export function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new Error('truncated varint');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  const last = bytes[at + 8];
  if (last === undefined) throw new Error('truncated varint');
  return [value * 256 + last, at + 9];
}

/** The sum of `count` varints from `at`, and where they end. */
function sumVarints(bytes: Uint8Array, at: number, count: number): [sum: number, next: number] {
  let sum = 0;
  let next = at;
  for (let c = 0; c < count; c++) {
    let value: number;
    [value, next] = readVarint(bytes, next);
    sum += value;
  }
  return [sum, next];
}

/** Row count and token total of the FTS index (its averages record), as bm25() reads them. */
export interface FtsTotals {
  readonly rows: number;
  readonly tokens: number;
}

export function decodeAverages(block: Uint8Array, columns: number): FtsTotals {
  // An index that never held a row has an empty record.
  if (block.length === 0) return { rows: 0, tokens: 0 };
  const [rows, at] = readVarint(block, 0);
  return { rows, tokens: sumVarints(block, at, columns)[0] };
}

const COLUMNS = Object.keys(COLUMN_WEIGHTS).length;
const AVERAGES = 'SELECT block FROM contacts_fts_data WHERE id = 1';

/** FTS5's totals from its averages record; undefined when it is absent or cannot be read. */
export function readTotals(block: Buffer | undefined): FtsTotals | undefined {
  if (block === undefined) return undefined;
  try {
    return decodeAverages(block, COLUMNS);
  } catch {
    return undefined;
  }
}

function ftsTotals(db: Database): FtsTotals | undefined {
  return readTotals(db.prepare(AVERAGES).pluck().get() as Buffer | undefined);
}

/** Postings built (this layout) for an FTS index with these totals. */
function builtFor(meta: ReadonlyMap<string, number>, totals: FtsTotals | undefined): boolean {
  return (
    totals !== undefined &&
    meta.get('layout') === LAYOUT &&
    meta.get('rows') === totals.rows &&
    meta.get('tokens') === totals.tokens
  );
}

const META = 'SELECT k, v FROM contact_terms_meta';

/** Grows by doubling; `view()` is the filled part. */
class Growing<T extends Uint32Array | Uint16Array> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  last(): number | undefined {
    return this.length === 0 ? undefined : this.data[this.length - 1];
  }
  addToLast(value: number): void {
    this.data[this.length - 1] = this.data[this.length - 1]! + value;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

function encodePostings(docs: Uint32Array, freq2: Uint16Array, lengths: Uint16Array): Buffer {
  const n = docs.length;
  const out = Buffer.alloc(n * 8);
  new Uint32Array(out.buffer, out.byteOffset, n).set(docs);
  new Uint16Array(out.buffer, out.byteOffset + n * 4, n).set(freq2);
  new Uint16Array(out.buffer, out.byteOffset + n * 6, n).set(lengths);
  return out;
}

export function decodePostings(blob: Buffer): Postings {
  // Typed-array views need their element alignment; a small Buffer may sit anywhere in its pool.
  const bytes = blob.byteOffset % 4 === 0 ? blob : Buffer.from(blob);
  const n = bytes.length / 8;
  return {
    docs: new Uint32Array(bytes.buffer, bytes.byteOffset, n),
    freq2: new Uint16Array(bytes.buffer, bytes.byteOffset + n * 4, n),
    length: new Uint16Array(bytes.buffer, bytes.byteOffset + n * 6, n),
  };
}

export interface TermIndexBuild {
  readonly terms: number;
  readonly postings: number;
  readonly ms: number;
}

/**
 * Contact ids index arrays (a row length per id here, a sum per id in each reader's any-word
 * fallback: 8 bytes an id), so they are bounded: 16,777,216 ids cost 128 MB a reader.
 */
const MAX_ID = 1 << 24;

/**
 * (Re)builds the postings from the FTS index: call inside the write transaction that rebuilt it.
 * Throws when a row has more than 65,535 tokens, a weighted frequency does not fit or a contact id
 * is above 16,777,216 (rolled back, the postings stay unused and FTS5 ranks every search).
 */
export function buildTermIndex(db: Database): TermIndexBuild {
  const started = performance.now();
  db.exec('DELETE FROM contact_terms; DELETE FROM contact_terms_meta');
  const totals = ftsTotals(db) ?? { rows: 0, tokens: 0 };
  // Each row's token count (bm25's D), from FTS5's own column sizes.
  const maxId = (db.prepare('SELECT max(id) FROM contacts_fts_docsize').pluck().get() ??
    0) as number;
  if (maxId > MAX_ID) throw new Error(`contact id ${maxId} is above ${MAX_ID}`);
  const rowLength = new Uint16Array(maxId + 1);
  let tokens = 0;
  for (const [id, sizes] of db
    .prepare('SELECT id, sz FROM contacts_fts_docsize')
    .raw()
    .iterate() as Iterable<[number, Buffer]>) {
    const [sum] = sumVarints(sizes, 0, COLUMNS);
    if (sum > MAX_STORED) throw new Error(`contact ${id} has ${sum} tokens (at most 65,535)`);
    rowLength[id] = sum;
    tokens += sum;
  }
  if (tokens !== totals.tokens) {
    throw new Error(`FTS column sizes add to ${tokens} tokens, its totals say ${totals.tokens}`);
  }
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.contacts_fts_terms
      USING fts5vocab(main, contacts_fts, row);
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.contacts_fts_instances
      USING fts5vocab(main, contacts_fts, instance);`);
  const insert = db.prepare('INSERT INTO contact_terms (term, postings) VALUES (?, ?)');
  const instances = db
    .prepare('SELECT doc, col FROM temp.contacts_fts_instances WHERE term = ?')
    .raw();
  const allTerms = db.prepare('SELECT term FROM temp.contacts_fts_terms').pluck().all() as string[];
  let postings = 0;
  // A term at a time (a connection cannot write while it reads): its instances come by row.
  for (const term of allTerms) {
    const docs = new Growing(new Uint32Array(64), (n) => new Uint32Array(n));
    const freq2 = new Growing(new Uint16Array(64), (n) => new Uint16Array(n));
    for (const [doc, col] of instances.iterate(term) as Iterable<[number, string]>) {
      const weight2 = 2 * COLUMN_WEIGHTS[col]!;
      if (docs.last() === doc) {
        if (freq2.last()! + weight2 > MAX_STORED) {
          throw new Error(`"${term}" is too frequent in contact ${doc}`);
        }
        freq2.addToLast(weight2);
      } else {
        docs.push(doc);
        freq2.push(weight2);
      }
    }
    const ids = docs.view();
    const lengths = new Uint16Array(ids.length);
    for (let i = 0; i < ids.length; i++) lengths[i] = rowLength[ids[i]!]!;
    insert.run(term, encodePostings(ids, freq2.view(), lengths));
    postings += ids.length;
  }
  db.exec('DROP TABLE temp.contacts_fts_terms; DROP TABLE temp.contacts_fts_instances');
  db.prepare('INSERT INTO contact_terms_meta (k, v) VALUES (?, ?), (?, ?), (?, ?)').run(
    'layout',
    LAYOUT,
    'rows',
    totals.rows,
    'tokens',
    totals.tokens,
  );
  return { terms: allTerms.length, postings, ms: performance.now() - started };
}

/** True when the postings were built for the FTS index as it is now. */
export function termIndexCurrent(db: Database): boolean {
  return builtFor(new Map(db.prepare(META).raw().all() as [string, number][]), ftsTotals(db));
}

/** Query words to FTS5 tokens, with the index's tokenizer, in a private in-memory database. */
export class TokenProbe {
  private readonly db: Database;
  private readonly insert: Statement;
  private readonly read: Statement;
  private readonly clear: Statement;
  // Words come from users: bounded.
  private readonly known = new LruMap<string, readonly string[]>(10_000);

  /** `tokenizer`: the index's, from `ftsTokenizer`. */
  constructor(tokenizer: string) {
    this.db = new BetterSqlite3(':memory:');
    this.db
      .exec(`CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = '${tokenizer.replace(/'/g, "''")}');
      CREATE VIRTUAL TABLE probe_tokens USING fts5vocab(probe, instance);`);
    this.insert = this.db.prepare('INSERT INTO probe (rowid, x) VALUES (1, ?)');
    this.read = this.db.prepare('SELECT term FROM probe_tokens ORDER BY "offset"').pluck();
    this.clear = this.db.prepare('DELETE FROM probe');
  }

  tokens(word: string): readonly string[] {
    let tokens = this.known.get(word);
    if (tokens === undefined) {
      this.insert.run(word);
      tokens = this.read.all() as string[];
      this.clear.run();
      this.known.set(word, tokens);
    }
    return tokens;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * One phrase's part of a row's bm25 score, as fts5_aux.c writes it (its order of operations, so
 * the same double): `f` the weighted frequency, `rowLength` the row's tokens.
 */
function bm25Part(idf: number, f: number, rowLength: number, avgdl: number): number {
  return idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * rowLength) / avgdl)));
}

/** A ranked match: contact id and bm25 rank (lower is better, as FTS5's `rank`). */
export interface RankedId {
  readonly id: number;
  readonly rank: number;
}

/** Index of the first element ≥ `target` in `docs[from..]` (galloping, then binary search). */
function seek(docs: Uint32Array, from: number, target: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < docs.length && docs[hi]! < target) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > docs.length) hi = docs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The best `limit`, ordered by rank then id; kept sorted, inserted into (limit is small). */
class TopRanks {
  readonly ids: number[] = [];
  readonly ranks: number[] = [];
  constructor(private readonly limit: number) {}
  offer(id: number, rank: number): void {
    const n = this.ids.length;
    if (n === this.limit) {
      const worst = this.ranks[n - 1]!;
      if (rank > worst || (rank === worst && id > this.ids[n - 1]!)) return;
    }
    let at = n;
    while (
      at > 0 &&
      (this.ranks[at - 1]! > rank || (this.ranks[at - 1] === rank && this.ids[at - 1]! > id))
    )
      at--;
    this.ids.splice(at, 0, id);
    this.ranks.splice(at, 0, rank);
    if (this.ids.length > this.limit) {
      this.ids.pop();
      this.ranks.pop();
    }
  }
}

let sumsScratch = new Float64Array(0);

/** A zeroed sum per row id below `size`, kept between queries (they leave it zeroed). */
function scratchSums(size: number): Float64Array {
  if (sumsScratch.length < size) sumsScratch = new Float64Array(size);
  return sumsScratch;
}

/**
 * Ranks the rows that hold every term (`all`) or any (`any`), best `limit` first. `terms` are the
 * query's phrases in order (a term may repeat: two words with one stem count twice, as in FTS5).
 */
export function rankTerms(
  postingsOf: (term: string) => Postings,
  totals: FtsTotals,
  terms: readonly string[],
  how: 'all' | 'any',
  limit: number,
): RankedId[] {
  const unique = [...new Set(terms)];
  const lists = unique.map(postingsOf);
  const listOf = terms.map((t) => unique.indexOf(t));
  // bm25()'s per-query statistics: the IDF of each phrase, the mean row length.
  const idf = terms.map((_, i) => {
    const hits = lists[listOf[i]!]!.docs.length;
    const value = Math.log((totals.rows - hits + 0.5) / (hits + 0.5));
    return value <= 0 ? 1e-6 : value;
  });
  const avgdl = totals.tokens / totals.rows;
  const top = new TopRanks(limit);
  // Phrase i's part of a row's score, from posting j of its list.
  const part = (i: number, j: number) => {
    const list = lists[listOf[i]!]!;
    return bm25Part(idf[i]!, list.freq2[j]! / 2, list.length[j]!, avgdl);
  };
  if (limit <= 0) return [];
  if (how === 'all') {
    if (lists.some((l) => l.docs.length === 0)) return [];
    const at = new Int32Array(lists.length);
    // Leapfrog: the shortest list proposes a row, each other list seeks to it; a list that lands
    // past it proposes its row instead, and the shortest list seeks there. Long runs of rows that
    // one list lacks are skipped in every list, not walked.
    const order = lists
      .map((_, i) => i)
      .sort((a, b) => lists[a]!.docs.length - lists[b]!.docs.length);
    const lead = order[0]!;
    const leadDocs = lists[lead]!.docs;
    let i = 0;
    rows: while (i < leadDocs.length) {
      const doc = leadDocs[i]!;
      at[lead] = i;
      for (let k = 1; k < order.length; k++) {
        const l = order[k]!;
        const docs = lists[l]!.docs;
        const j = seek(docs, at[l]!, doc);
        at[l] = j;
        if (j === docs.length) break rows;
        if (docs[j] !== doc) {
          i = seek(leadDocs, i + 1, docs[j]!);
          continue rows;
        }
      }
      // Phrases in query order, as bm25() adds them.
      let sum = 0.0;
      for (let p = 0; p < terms.length; p++) sum += part(p, at[listOf[p]!]!);
      top.offer(doc, -1.0 * sum);
      i++;
    }
  } else {
    // A phrase at a time into one sum per row. In query order, like bm25(), whose phrases absent
    // from a row add exactly 0: the same sums to the bit. Every part is > 0 (IDF ≥ 1e-6), so a
    // sum of 0 marks a row not yet touched.
    const maxDoc = Math.max(...lists.map((l) => l.docs[l.docs.length - 1] ?? 0));
    const sums = scratchSums(maxDoc + 1);
    const touched: number[] = [];
    for (let p = 0; p < terms.length; p++) {
      // The list and the IDF looked up once per phrase, not per posting (the hot loop).
      const { docs, freq2, length } = lists[listOf[p]!]!;
      const weight = idf[p]!;
      for (let j = 0; j < docs.length; j++) {
        const doc = docs[j]!;
        const before = sums[doc]!;
        if (before === 0) touched.push(doc);
        sums[doc] = before + bm25Part(weight, freq2[j]! / 2, length[j]!, avgdl);
      }
    }
    for (const doc of touched) {
      top.offer(doc, -1.0 * sums[doc]!);
      sums[doc] = 0;
    }
  }
  return top.ids.map((id, i) => ({ id, rank: top.ranks[i]! }));
}

const NO_POSTINGS: Postings = {
  docs: new Uint32Array(0),
  freq2: new Uint16Array(0),
  length: new Uint16Array(0),
};

/** Keyword ranking on one connection. */
export interface TermIndexSearch {
  /**
   * The rows with every word, or when none has them all, with any word: ranked, best `limit`,
   * passed to `load` in the same read transaction. `undefined` means "ask FTS5" (see the header).
   */
  rankKeywords<T>(
    words: readonly string[],
    limit: number,
    load: (ranked: RankedId[]) => T,
  ): T | undefined;
}

export function prepareTermIndexSearch(db: Database, probe: TokenProbe): TermIndexSearch {
  const usable = os.endianness() === 'LE';
  const meta = db.prepare(META).raw();
  const averages = db.prepare(AVERAGES).pluck();
  const postings = db.prepare('SELECT postings FROM contact_terms WHERE term = ?').pluck();
  const postingsOf = (term: string) => {
    const blob = postings.get(term) as Buffer | undefined;
    return blob === undefined ? NO_POSTINGS : decodePostings(blob);
  };
  // One read transaction: the check, the postings and the rows see one version of the database.
  const inOneRead = db.transaction(
    (terms: readonly string[], limit: number, load: (ranked: RankedId[]) => unknown) => {
      const totals = readTotals(averages.get() as Buffer | undefined);
      const built = new Map(meta.all() as [string, number][]);
      if (totals === undefined || !builtFor(built, totals)) return undefined;
      const all = rankTerms(postingsOf, totals, terms, 'all', limit);
      return load(all.length > 0 ? all : rankTerms(postingsOf, totals, terms, 'any', limit));
    },
  );
  return {
    rankKeywords: <T>(words: readonly string[], limit: number, load: (r: RankedId[]) => T) => {
      if (!usable || words.length === 0) return undefined;
      const terms: string[] = [];
      for (const w of words) {
        const tokens = probe.tokens(w);
        if (tokens.length !== 1) return undefined;
        terms.push(tokens[0]!);
      }
      return inOneRead(terms, limit, load) as T | undefined;
    },
  };
}
