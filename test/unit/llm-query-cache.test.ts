import { describe, expect, it } from 'vitest';
import { QueryCache, normalizeQuery } from '../../src/search/llm/query-cache.js';
import type { SearchFilters } from '../../src/search/llm/types.js';
import { FakeClock } from '../../src/shared/clock.js';

const filters = (keyword: string): SearchFilters => ({
  keywords: [keyword],
  beats: [],
  locations: [],
  outlets: [],
  roles: [],
  languages: [],
});

describe('QueryCache', () => {
  it('serves an entry until its TTL has passed, then forgets it', async () => {
    const clock = new FakeClock(1_000);
    const cache = new QueryCache<SearchFilters>({ ttlMs: 60_000, maxEntries: 10, clock });
    cache.set('tech reporters', filters('a'));
    await clock.advance(59_999);
    expect(cache.get('tech reporters')).toEqual(filters('a'));
    await clock.advance(1);
    expect(cache.get('tech reporters')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('treats queries that differ only in case and spacing as the same', () => {
    const cache = new QueryCache<SearchFilters>({
      ttlMs: 1000,
      maxEntries: 10,
      clock: new FakeClock(),
    });
    cache.set('  Tech   Reporters ', filters('a'));
    expect(cache.get('tech reporters')).toEqual(filters('a'));
    expect(normalizeQuery('Ｔｅｃｈ\tReporters')).toBe('tech reporters');
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new QueryCache<SearchFilters>({
      ttlMs: 1000,
      maxEntries: 2,
      clock: new FakeClock(),
    });
    cache.set('a', filters('a'));
    cache.set('b', filters('b'));
    cache.get('a'); // a is now the most recently used
    cache.set('c', filters('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(filters('a'));
    expect(cache.get('c')).toEqual(filters('c'));
    expect(cache.size).toBe(2);
  });
});
