// A bounded in-memory LRU keyed by the normalized query, with a time to live. Queries are
// normalized first (case, spacing and Unicode form; accents are kept), so "Tech  Reporters" and
// "tech reporters" share an entry. The LLM layer keeps two: validated filters (AI_SEARCH_CACHE_TTL)
// and recent failures (AI_SEARCH_NEGATIVE_CACHE_TTL), so a query that keeps failing costs at most
// one fallback chain per TTL.
import type { Clock } from '../../shared/clock.js';
import { LruMap } from '../../shared/lru-map.js';

export function normalizeQuery(query: string): string {
  return query.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class QueryCache<V> {
  private readonly entries: LruMap<string, Entry<V>>;

  constructor(
    private readonly opts: {
      readonly ttlMs: number;
      readonly maxEntries: number;
      readonly clock: Clock;
    },
  ) {
    this.entries = new LruMap(opts.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  get(query: string): V | undefined {
    const key = normalizeQuery(query);
    const entry = this.entries.get(key); // now the most recently used
    if (!entry) return undefined;
    if (entry.expiresAt <= this.opts.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(query: string, value: V): void {
    const key = normalizeQuery(query);
    this.entries.set(key, { value, expiresAt: this.opts.clock.now() + this.opts.ttlMs });
  }
}
