// Search results kept per normalised query, so a search asked again is answered without SQLite.
// Why: a search that misses costs a ranked query (keyword: the postings of term-index.ts, ~0.15
// ms at 50k contacts and ~2 ms at 1M; filters: FTS5's bm25(), more; docs/performance.md), and a
// hit costs microseconds. The contacts are written only by the seeder before serving, and the version function
// (SQLite's `PRAGMA data_version`) changes if anything else commits, so an entry is never served
// after the data under it changed. Concurrent identical misses share one query (single flight).
// Bounded by the number of contacts held, not entries, since `limit` goes up to 100.
import { LruMap } from '../../shared/lru-map.js';
import type { ContactHit } from './queries.js';

export type CacheLookup = 'hit' | 'miss';

export interface ResultCacheOptions {
  /** Most contacts held over all entries; the least recently used entries go first. */
  readonly maxRows: number;
  /** Changes whenever the data under the results may have changed (then everything is dropped). */
  readonly version: () => number;
  /** Told about every lookup (a shared in-flight query counts as a hit: no query of its own). */
  readonly onLookup?: (result: CacheLookup) => void;
}

interface Entry {
  readonly answer: Promise<readonly ContactHit[]>;
  rows: number;
}

export class ResultCache {
  private readonly entries = new LruMap<string, Entry>();
  private rows = 0;
  // Read at the first lookup (the empty cache needs no version yet).
  private version: number | undefined;

  constructor(private readonly options: ResultCacheOptions) {}

  /** Contacts held now (for tests and the bench). */
  get size(): { entries: number; rows: number } {
    return { entries: this.entries.size, rows: this.rows };
  }

  /**
   * The cached answer for `key`, else `load()`'s (kept once it resolves; a failure is not). Never
   * throws: a failure to read the version (the database closed) is a rejected promise too.
   */
  get(key: string, load: () => Promise<ContactHit[]>): Promise<readonly ContactHit[]> {
    let version: number;
    try {
      version = this.options.version();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (version !== this.version) {
      // Searches in flight still get their own answers; they are just not kept.
      this.entries.clear();
      this.rows = 0;
      this.version = version;
    }
    const found = this.entries.get(key); // now the most recently used
    if (found) {
      this.options.onLookup?.('hit');
      return found.answer;
    }
    this.options.onLookup?.('miss');
    const entry: Entry = { answer: load().then((hits) => Object.freeze(hits)), rows: 0 };
    this.entries.set(key, entry);
    entry.answer.then(
      (hits) => this.settled(key, entry, hits.length),
      () => this.forget(key, entry),
    );
    return entry.answer;
  }

  private settled(key: string, entry: Entry, rows: number): void {
    if (this.entries.peek(key) !== entry) return; // dropped meanwhile (new version, evicted)
    if (rows > this.options.maxRows) {
      this.forget(key, entry);
      return;
    }
    entry.rows = rows;
    this.rows += rows;
    while (this.rows > this.options.maxRows) {
      const oldest = this.entries.shift();
      if (oldest === undefined) break;
      this.rows -= oldest.value.rows;
    }
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.peek(key) !== entry) return;
    this.entries.delete(key);
    this.rows -= entry.rows;
  }
}
