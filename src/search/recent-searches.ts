// The searches that may still receive feedback: bounded in number and in age, so memory stays flat
// under any traffic. Each search can be rated once.
import type { Clock } from '../shared/clock.js';
import { LruMap } from '../shared/lru-map.js';
import type { SearchMode } from './metrics.js';

export interface RecentSearch {
  readonly mode: SearchMode;
  readonly degraded: boolean;
  readonly at: number;
  rated: boolean;
}

export type FeedbackResult = 'recorded' | 'unknown' | 'already_rated';

export class RecentSearches {
  // Never reordered (`peek`, not `get`): the oldest search is first, and eviction takes it.
  private readonly entries: LruMap<string, RecentSearch>;

  constructor(
    private readonly clock: Clock,
    maxEntries = 100_000,
    private readonly ttlMs = 3_600_000,
  ) {
    this.entries = new LruMap(maxEntries);
  }

  add(searchId: string, search: Omit<RecentSearch, 'at' | 'rated'>): void {
    // Fields written out, not spread: V8 gave each spread-then-extended object a hidden class of
    // its own, and 100,000 of them are held here.
    this.entries.set(searchId, {
      mode: search.mode,
      degraded: search.degraded,
      at: this.clock.now(),
      rated: false,
    });
    this.forgetExpired();
  }

  /** Marks a search as rated; only the first rating of a live search counts. */
  rate(searchId: string): FeedbackResult {
    const entry = this.entries.peek(searchId);
    if (entry === undefined || this.clock.now() - entry.at > this.ttlMs) return 'unknown';
    if (entry.rated) return 'already_rated';
    entry.rated = true;
    return 'recorded';
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bound on their number is the map's; this drops the ones past their time to live. */
  private forgetExpired(): void {
    const cutoff = this.clock.now() - this.ttlMs;
    for (let o = this.entries.oldest(); o !== undefined && o.value.at < cutoff;) {
      this.entries.shift();
      o = this.entries.oldest();
    }
  }
}
