import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAdminToken } from '../../src/search/http/admin-token.js';
import { RecentSearches } from '../../src/search/recent-searches.js';
import { TokenBuckets } from '../../src/search/token-buckets.js';
import { FakeClock } from '../../src/shared/clock.js';

describe('TokenBuckets', () => {
  it('allows a burst of `capacity`, then refuses with a Retry-After, then refills', async () => {
    const clock = new FakeClock(0);
    const buckets = new TokenBuckets({ capacity: 3, refillPerSecond: 3 / 60 }, clock);
    expect([1, 2, 3].map(() => buckets.take('u-1').ok)).toEqual([true, true, true]);
    const refused = buckets.take('u-1');
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 20 });
    expect(buckets.take('u-2').ok).toBe(true); // keys are independent
    await clock.advance(20_000);
    expect(buckets.take('u-1').ok).toBe(true);
    expect(buckets.take('u-1').ok).toBe(false);
  });

  it('never allows more than capacity + refill × elapsed time (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 200 }),
        async (capacity, gaps) => {
          const clock = new FakeClock(0);
          const perSecond = capacity / 60;
          const buckets = new TokenBuckets({ capacity, refillPerSecond: perSecond }, clock);
          let allowed = 0;
          for (const gap of gaps) {
            await clock.advance(gap);
            if (buckets.take('u').ok) allowed += 1;
          }
          expect(allowed).toBeLessThanOrEqual(capacity + (clock.now() / 1000) * perSecond);
        },
      ),
    );
  });

  it('forgets the least recently used key past maxKeys (memory stays bounded)', () => {
    const clock = new FakeClock(0);
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 0.001, maxKeys: 2 }, clock);
    buckets.take('a');
    buckets.take('b');
    buckets.take('c'); // evicts a
    expect(buckets.take('a').ok).toBe(true);
    expect(buckets.take('c').ok).toBe(false);
  });
});

describe('RecentSearches', () => {
  it('takes one rating per known search, within the TTL', async () => {
    const clock = new FakeClock(0);
    const recent = new RecentSearches(clock, 10, 1000);
    recent.add('s1', { mode: 'ai', degraded: false });
    expect(recent.rate('s1')).toBe('recorded');
    expect(recent.rate('s1')).toBe('already_rated');
    expect(recent.rate('nope')).toBe('unknown');
    recent.add('s2', { mode: 'keyword', degraded: false });
    await clock.advance(1001);
    expect(recent.rate('s2')).toBe('unknown');
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const recent = new RecentSearches(new FakeClock(0), 3, 60_000);
    for (const id of ['a', 'b', 'c', 'd']) recent.add(id, { mode: 'ai', degraded: false });
    expect(recent.size).toBe(3);
    expect(recent.rate('a')).toBe('unknown');
    expect(recent.rate('d')).toBe('recorded');
  });
});

describe('checkAdminToken', () => {
  it.each([
    [undefined, 'Bearer anything', 403],
    ['s3cret-token', undefined, 401],
    ['s3cret-token', 'Basic czNjcmV0', 401],
    ['s3cret-token', 'Bearer wrong', 401],
    ['s3cret-token', 'Bearer s3cret-token-longer', 401],
    ['s3cret-token', 'Bearer s3cret-toke', 401],
  ])('token %j, header %j → %i', (configured, header, status) => {
    const auth = checkAdminToken(configured, header);
    expect(auth.ok).toBe(false);
    if (!auth.ok) {
      expect(auth.status).toBe(status);
      expect(auth.reason).not.toContain('s3cret');
    }
  });

  it('accepts the configured token', () => {
    expect(checkAdminToken('s3cret-token', 'Bearer s3cret-token')).toEqual({ ok: true });
    expect(checkAdminToken('s3cret-token', 'bearer s3cret-token')).toEqual({ ok: true });
  });
});
