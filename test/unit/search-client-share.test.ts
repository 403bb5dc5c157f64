import { describe, expect, it } from 'vitest';
import { ClientShare } from '../../src/search/client-share.js';
import { FakeClock } from '../../src/shared/clock.js';

const WINDOW = 300_000;
const setup = (calls = 9, reserve = 3) => {
  const clock = new FakeClock(0);
  return { clock, share: new ClientShare({ calls, windowMs: WINDOW, reserve }, clock) };
};
const client = (userId: string, address = '10.0.0.1') => ({ userId, address });

/** Admits and settles one search that made `calls` calls; false when it was refused. */
function search(share: ClientShare, who: { userId: string; address: string }, calls: number) {
  const a = share.admit(who);
  if (!a.ok) return false;
  a.settle(calls);
  return true;
}

describe('ClientShare', () => {
  it('admits a search only while a whole fallback chain still fits the share', () => {
    const { share } = setup(9, 3);
    expect([1, 2, 3].map(() => search(share, client('u1'), 3))).toEqual([true, true, true]);
    expect(share.admit(client('u1'))).toEqual({ ok: false, exceeded: 'user' });
  });

  it('charges what a search really made: cached, rejected and shared searches cost nothing', () => {
    const { share } = setup(9, 3);
    for (let i = 0; i < 100; i++) expect(search(share, client('u1'), 0)).toBe(true);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => search(share, client('u1'), 1))).toEqual(
      Array(7).fill(true),
    );
    expect(search(share, client('u1'), 1)).toBe(false); // 7 used + 3 reserved > 9
  });

  it('counts a user id and an address separately: rotating user ids from one address does not help', () => {
    const { share } = setup(9, 3);
    for (let i = 0; i < 3; i++) expect(search(share, client(`rotated-${i}`), 3)).toBe(true);
    expect(share.admit(client('rotated-99'))).toEqual({ ok: false, exceeded: 'address' });
    expect(search(share, client('rotated-99', '10.0.0.2'), 3)).toBe(true);
  });

  it('holds in-flight reservations, so concurrent searches cannot overshoot', () => {
    const { share } = setup(9, 3);
    const held = [1, 2, 3].map(() => share.admit(client('u1')));
    expect(held.every((a) => a.ok)).toBe(true);
    expect(share.admit(client('u1')).ok).toBe(false);
  });

  it('frees the share as charges leave the sliding window, never sooner', async () => {
    const { share, clock } = setup(9, 3);
    for (let i = 0; i < 3; i++) {
      expect(search(share, client('u1'), 3)).toBe(true);
      await clock.advance(1000);
    }
    await clock.advance(WINDOW - 3001);
    expect(share.admit(client('u1')).ok).toBe(false); // the first charge is 1 ms inside the window
    await clock.advance(1); // (t - window, t], as Prometheus's range
    expect(search(share, client('u1'), 3)).toBe(true);
    expect(share.admit(client('u1')).ok).toBe(false);
  });

  it('stamps a charge when its calls end: a slow search counts in the window Prometheus sees it in', async () => {
    const { share, clock } = setup(6, 3);
    const slow = share.admit(client('u1'));
    await clock.advance(WINDOW);
    if (slow.ok) slow.settle(3);
    expect(search(share, client('u1'), 3)).toBe(true);
    expect(share.admit(client('u1')).ok).toBe(false);
  });

  it('in any window, charges one key at most `calls` LLM calls (random traffic)', async () => {
    const { share, clock } = setup(12, 3);
    const ended: { at: number; calls: number }[] = [];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      await clock.advance(Math.floor(rnd() * 5000));
      const calls = Math.floor(rnd() * 4);
      if (search(share, client(`u${i}`), calls)) ended.push({ at: clock.now(), calls });
    }
    for (const { at } of ended) {
      const inWindow = ended.filter((e) => e.at > at - WINDOW && e.at <= at);
      expect(inWindow.reduce((s, e) => s + e.calls, 0)).toBeLessThanOrEqual(12);
    }
  });

  it('refuses a share that could never admit one search', () => {
    expect(() => new ClientShare({ calls: 2, windowMs: 1, reserve: 3 }, new FakeClock())).toThrow(
      /never admits 3/,
    );
  });
});
