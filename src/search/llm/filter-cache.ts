// A bounded in-memory LRU of query → filters with a time to live. Queries are normalized first
// (case, spacing and Unicode form; accents are kept), so "Tech  Reporters" and "tech reporters" share an
// entry. Only validated filters are stored; failures are never cached.
import type { Clock } from '../../shared/clock.js';
import type { SearchFilters } from './types.js';

export function normalizeQuery(query: string): string {
  return query.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

interface Entry {
  readonly filters: SearchFilters;
  readonly expiresAt: number;
}

export class FilterCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: {
      readonly ttlMs: number;
      readonly maxEntries: number;
      readonly clock: Clock;
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(query: string): SearchFilters | undefined {
    const key = normalizeQuery(query);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.opts.clock.now()) return undefined;
    this.entries.set(key, entry); // most recently used goes last
    return entry.filters;
  }

  set(query: string, filters: SearchFilters): void {
    const key = normalizeQuery(query);
    this.entries.delete(key);
    this.entries.set(key, { filters, expiresAt: this.opts.clock.now() + this.opts.ttlMs });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
