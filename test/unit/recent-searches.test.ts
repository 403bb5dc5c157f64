// Recent searches (what feedback may rate): bounded in number and in age, oldest evicted first,
// rating never changes which search is evicted next.
import { describe, expect, it } from 'vitest';
import { RecentSearches } from '../../src/search/recent-searches.js';
import type { Clock } from '../../src/shared/clock.js';

const clockAt = (start = 1_000_000) => {
  let now = start;
  const clock: Clock = { now: () => now, sleep: async () => {} };
  return { clock, advance: (ms: number) => (now += ms) };
};

describe('recent searches', () => {
  it('holds at most maxEntries, evicting the oldest first (a rating does not keep one longer)', () => {
    const { clock } = clockAt();
    const recent = new RecentSearches(clock, 3, 60_000);
    for (const id of ['a', 'b', 'c']) recent.add(id, { mode: 'keyword', degraded: false });
    expect(recent.rate('a')).toBe('recorded');
    recent.add('d', { mode: 'ai', degraded: false });
    expect(recent.size).toBe(3);
    expect(recent.rate('a')).toBe('unknown'); // evicted although it was rated most recently
    expect(recent.rate('b')).toBe('recorded');
    expect(recent.rate('d')).toBe('recorded');
    expect(recent.rate('d')).toBe('already_rated');
  });

  it('forgets searches older than the time to live, on reading and on the next add', () => {
    const { clock, advance } = clockAt();
    const recent = new RecentSearches(clock, 100, 60_000);
    recent.add('old', { mode: 'keyword', degraded: false });
    advance(30_000);
    recent.add('mid', { mode: 'keyword', degraded: true });
    advance(30_001);
    expect(recent.rate('old')).toBe('unknown');
    recent.add('new', { mode: 'keyword', degraded: false });
    expect(recent.size).toBe(2); // 'old' dropped, 'mid' and 'new' kept
    expect(recent.rate('mid')).toBe('recorded');
  });

  it('stays at its bound under a long stream of searches', () => {
    const { clock, advance } = clockAt();
    const recent = new RecentSearches(clock, 1_000, 3_600_000);
    for (let i = 0; i < 50_000; i++) {
      recent.add(`s${i}`, { mode: 'keyword', degraded: false });
      advance(1);
    }
    expect(recent.size).toBe(1_000);
    expect(recent.rate('s48999')).toBe('unknown');
    expect(recent.rate('s49000')).toBe('recorded');
  });
});
