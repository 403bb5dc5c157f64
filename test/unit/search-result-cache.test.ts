// The search result cache on its own: hits, single flight, failures not kept, the version check
// and the bound on contacts held. Loads are fakes that count their calls.
import { describe, expect, it } from 'vitest';
import type { ContactHit } from '../../src/search/contacts/queries.js';
import { ResultCache, type CacheLookup } from '../../src/search/contacts/result-cache.js';

const hits = (n: number, from = 1): ContactHit[] =>
  Array.from({ length: n }, (_, i) => ({ id: from + i }) as unknown as ContactHit);

function setup(maxRows = 100) {
  let version = 1;
  const lookups: CacheLookup[] = [];
  const loads: string[] = [];
  const cache = new ResultCache({
    maxRows,
    version: () => version,
    onLookup: (r) => void lookups.push(r),
  });
  const load =
    (key: string, n = 2) =>
    () => (loads.push(key), Promise.resolve(hits(n)));
  return { cache, lookups, loads, load, bump: () => (version += 1) };
}

describe('search result cache', () => {
  it('answers a repeated key without loading again, with the same contacts', async () => {
    const { cache, lookups, loads, load } = setup();
    const first = await cache.get('a', load('a'));
    const second = await cache.get('a', load('a'));
    expect(second).toEqual(first);
    expect(loads).toEqual(['a']);
    expect(lookups).toEqual(['miss', 'hit']);
    await cache.get('b', load('b'));
    expect(loads).toEqual(['a', 'b']);
  });

  it('lets concurrent identical misses share one load', async () => {
    const { cache, lookups, loads, load } = setup();
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.get('q', load('q'))));
    expect(loads).toEqual(['q']);
    expect(lookups).toEqual(['miss', 'hit', 'hit', 'hit', 'hit']);
    expect(new Set(answers).size).toBe(1);
  });

  it('keeps no failure: the next lookup queries again', async () => {
    const { cache, loads } = setup();
    const failing = () => (loads.push('x'), Promise.reject(new Error('SQLITE_BUSY')));
    await expect(cache.get('x', failing)).rejects.toThrow('SQLITE_BUSY');
    await Promise.resolve(); // the failure handler has run
    expect(cache.size.entries).toBe(0);
    await cache.get('x', () => (loads.push('x'), Promise.resolve(hits(1))));
    expect(loads).toEqual(['x', 'x']);
  });

  it('drops everything when the data version changes', async () => {
    const { cache, loads, load, bump } = setup();
    await cache.get('a', load('a'));
    bump();
    await cache.get('a', load('a'));
    expect(loads).toEqual(['a', 'a']);
  });

  it('does not keep an answer loaded under a version that changed meanwhile', async () => {
    const { cache, loads, load, bump } = setup();
    let release!: (h: ContactHit[]) => void;
    const slow = cache.get('a', () => (loads.push('a'), new Promise((r) => (release = r))));
    bump();
    await cache.get('b', load('b')); // sees the new version: drops the pending 'a'
    release(hits(3));
    expect(await slow).toHaveLength(3); // its caller still gets its answer
    await cache.get('a', load('a'));
    expect(loads).toEqual(['a', 'b', 'a']);
  });

  it('holds at most maxRows contacts, dropping the least recently used first', async () => {
    const { cache, loads, load } = setup(10);
    await cache.get('a', load('a', 4));
    await cache.get('b', load('b', 4));
    await cache.get('a', load('a', 4)); // 'a' is now the most recent
    await cache.get('c', load('c', 4)); // 12 > 10: 'b' goes
    expect(cache.size).toEqual({ entries: 2, rows: 8 });
    await cache.get('a', load('a', 4));
    await cache.get('b', load('b', 4));
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps no answer larger than the whole bound', async () => {
    const { cache, loads, load } = setup(3);
    expect(await cache.get('big', load('big', 5))).toHaveLength(5);
    expect(cache.size).toEqual({ entries: 0, rows: 0 });
    await cache.get('big', load('big', 5));
    expect(loads).toEqual(['big', 'big']);
  });

  it('answers a failure to read the version (a closed database) with a rejection, not a throw', async () => {
    const cache = new ResultCache({
      maxRows: 10,
      version: () => {
        throw new TypeError('The database connection is not open');
      },
    });
    let answer: Promise<unknown> | undefined;
    expect(() => (answer = cache.get('a', () => Promise.resolve(hits(1))))).not.toThrow();
    await expect(answer).rejects.toThrow('not open');
  });

  it('hands out answers that cannot be changed by one caller for the next', async () => {
    const { cache, load } = setup();
    const answer = await cache.get('a', load('a'));
    expect(Object.isFrozen(answer)).toBe(true);
  });
});
