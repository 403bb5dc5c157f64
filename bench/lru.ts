// npm run bench:lru — what one insert into a full bounded map costs (insert a new key, evict the
// least recently used), the way the service's token buckets, client share, caches and recent
// searches do it for every request with a new key (a new user id or address, a new query, every
// search id). Two implementations in the same run: a plain Map re-inserted on use, evicting with
// `map.keys().next()` (what those maps were), and src/shared/lru-map.ts. The plain Map walks over
// the holes its deletions leave before the first live key, so its cost grows with the bound and
// with time since V8 last rebuilt the table; the ratio is the figure. Knobs: BENCH_N (inserts per
// slice, 100,000), BENCH_SLICES (10).
import { LruMap } from '../src/shared/lru-map.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const SLICES = Number(process.env.BENCH_SLICES ?? 10);

interface Lru {
  touch(key: string): void;
}

function plainMap(max: number): Lru {
  const m = new Map<string, number>();
  return {
    touch(key) {
      const v = m.get(key) ?? 0;
      m.delete(key);
      m.set(key, v + 1);
      if (m.size > max) {
        const oldest = m.keys().next().value;
        if (oldest !== undefined) m.delete(oldest);
      }
    },
  };
}

function lruMap(max: number): Lru {
  const m = new LruMap<string, number>(max);
  return {
    touch(key) {
      m.set(key, (m.get(key) ?? 0) + 1);
    },
  };
}

/** ns per touch for each slice of N new keys, after filling the map to its bound. */
function measure(make: (max: number) => Lru, max: number): number[] {
  const lru = make(max);
  let k = 0;
  for (let i = 0; i < max; i++) lru.touch(`key-${k++}`);
  const out: number[] = [];
  for (let s = 0; s < SLICES; s++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) lru.touch(`key-${k++}`);
    out.push(Number(process.hrtime.bigint() - started) / N);
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `insert a new key into a full map and evict the least recently used; ${SLICES} slices of ${N}`,
);
console.log('bound      plain Map ns (median, max)   LruMap ns (median, max)   ratio of medians');
for (const max of [1_000, 10_000, 100_000]) {
  const plain = measure(plainMap, max);
  const ours = measure(lruMap, max);
  console.log(
    `${String(max).padEnd(9)}  ${median(plain).toFixed(0).padStart(9)} ${Math.max(...plain)
      .toFixed(0)
      .padStart(9)}          ${median(ours).toFixed(0).padStart(9)} ${Math.max(...ours)
      .toFixed(0)
      .padStart(9)}          ×${(median(plain) / median(ours)).toFixed(1)}`,
  );
}
