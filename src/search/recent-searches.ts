// The searches that may still receive feedback: bounded in number and in age, so memory stays flat
// under any traffic. Each search can be rated once.
import type { Clock } from '../shared/clock.js';
import type { SearchMode } from './metrics.js';

export interface RecentSearch {
  readonly mode: SearchMode;
  readonly degraded: boolean;
  readonly at: number;
  rated: boolean;
}

export type FeedbackResult = 'recorded' | 'unknown' | 'already_rated';

export class RecentSearches {
  private readonly entries = new Map<string, RecentSearch>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 100_000,
    private readonly ttlMs = 3_600_000,
  ) {}

  add(searchId: string, search: Omit<RecentSearch, 'at' | 'rated'>): void {
    this.entries.set(searchId, { ...search, at: this.clock.now(), rated: false });
    this.evict();
  }

  /** Marks a search as rated; only the first rating of a live search counts. */
  rate(searchId: string): FeedbackResult {
    const entry = this.entries.get(searchId);
    if (entry === undefined || this.clock.now() - entry.at > this.ttlMs) return 'unknown';
    if (entry.rated) return 'already_rated';
    entry.rated = true;
    return 'recorded';
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    // Insertion order is age order, so the oldest entries are first.
    const cutoff = this.clock.now() - this.ttlMs;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.at >= cutoff) break;
      this.entries.delete(id);
    }
  }
}
