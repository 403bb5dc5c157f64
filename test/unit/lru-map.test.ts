// The LRU map under the service's bounded maps (token buckets, client share, query and result
// caches, recent searches): use order, eviction of the least recently used, and that a read with
// `peek` leaves the order alone. Its speed (O(1) eviction at 100,000 keys) is `npm run bench:lru`.
import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/shared/lru-map.js';

describe('LruMap', () => {
  it('keeps keys from least to most recently used; get and set move a key to the end', () => {
    const m = new LruMap<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.keys()).toEqual(['a', 'b', 'c']);
    expect(m.get('a')).toBe(1);
    expect(m.keys()).toEqual(['b', 'c', 'a']);
    m.set('b', 20);
    expect(m.keys()).toEqual(['c', 'a', 'b']);
    expect(m.peek('b')).toBe(20);
    expect(m.size).toBe(3);
  });

  it('peek reads without moving; a missing key reads undefined and changes nothing', () => {
    const m = new LruMap<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    expect(m.peek('a')).toBe(1);
    expect(m.get('zz')).toBeUndefined();
    expect(m.peek('zz')).toBeUndefined();
    expect(m.keys()).toEqual(['a', 'b']);
  });

  it('shift removes the least recently used entry and returns it; oldest only looks', () => {
    const m = new LruMap<string, number>();
    expect(m.shift()).toBeUndefined();
    expect(m.oldest()).toBeUndefined();
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    expect(m.oldest()).toMatchObject({ key: 'b', value: 2 });
    expect(m.size).toBe(2);
    expect(m.shift()).toMatchObject({ key: 'b', value: 2 });
    expect(m.has('b')).toBe(false);
    expect(m.keys()).toEqual(['a']);
    expect(m.shift()).toMatchObject({ key: 'a', value: 1 });
    expect(m.size).toBe(0);
    expect(m.keys()).toEqual([]);
    m.set('c', 3); // usable after being emptied
    expect(m.keys()).toEqual(['c']);
  });

  it('delete unlinks from the head, the middle and the tail', () => {
    const m = new LruMap<number, number>();
    for (const k of [1, 2, 3, 4, 5]) m.set(k, k);
    expect(m.delete(3)).toBe(true);
    expect(m.delete(1)).toBe(true);
    expect(m.delete(5)).toBe(true);
    expect(m.delete(5)).toBe(false);
    expect(m.keys()).toEqual([2, 4]);
    m.set(6, 6);
    expect(m.keys()).toEqual([2, 4, 6]);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.oldest()).toBeUndefined();
  });

  it('with a bound, adding a key past it forgets the least recently used (replacing one does not)', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    m.set('c', 3); // 'b' is the least recently used
    expect(m.keys()).toEqual(['a', 'c']);
    m.set('a', 10); // a replacement: nothing goes
    expect(m.keys()).toEqual(['c', 'a']);
    expect(m.size).toBe(2);
    const none = new LruMap<string, number>(0);
    none.set('x', 1);
    expect(none.size).toBe(0);
  });

  it('matches a reference LRU over a long random sequence of operations', () => {
    const m = new LruMap<number, number>();
    const ref: number[] = []; // keys, least recent first
    const values = new Map<number, number>();
    let s = 7;
    const rnd = (n: number) => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
    for (let i = 0; i < 20_000; i++) {
      const k = rnd(50);
      const op = rnd(4);
      const at = ref.indexOf(k);
      if (op === 0) {
        m.set(k, i);
        if (at >= 0) ref.splice(at, 1);
        ref.push(k);
        values.set(k, i);
      } else if (op === 1) {
        expect(m.get(k)).toBe(at >= 0 ? values.get(k) : undefined);
        if (at >= 0) ref.push(...ref.splice(at, 1));
      } else if (op === 2) {
        expect(m.delete(k)).toBe(at >= 0);
        if (at >= 0) ref.splice(at, 1);
      } else {
        const oldest = m.shift();
        expect(oldest?.key).toBe(ref.shift());
      }
      expect(m.size).toBe(ref.length);
    }
    expect(m.keys()).toEqual(ref);
  });
});
