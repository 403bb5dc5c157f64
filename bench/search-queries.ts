// The keyword queries the search benches send: few and many matches, one to five words, a
// diacritic. One list, so bench:service and bench:query measure the same searches.
import { BEATS, CITIES, OUTLETS, ROLES } from '../src/llm-sim/vocabulary.js';

export const BENCH_QUERIES: readonly string[] = [
  'climate reporters in Berlin',
  'technology editor',
  'health journalists London',
  'sports Madrid',
  'finance correspondents New York',
  'artificial intelligence startups',
  'Müller',
  'fashion Paris columnist',
  'energy Germany',
  'gaming podcaster Tokyo',
];

/**
 * 16,464 different queries (beat, role, outlet, city pairs and beat–role–city triples), in a fixed
 * shuffled order: sent one after another they do not come round again within the result cache's
 * default 2,000 ten-result searches, so every search is a miss (the cost of a query never asked
 * before). Some match no contact with all their words and take the any-word fallback, as
 * long-tail queries do.
 */
export function distinctQueries(): string[] {
  const cities = CITIES.map((c) => c.city);
  const pairs = (a: readonly string[], b: readonly string[]) =>
    a.flatMap((x) => b.map((y) => `${x} ${y}`));
  const all = [
    ...pairs(BEATS, cities),
    ...pairs(ROLES, cities),
    ...pairs(BEATS, ROLES),
    ...pairs(OUTLETS, BEATS),
    ...pairs(OUTLETS, cities),
    ...pairs(pairs(BEATS, ROLES), cities),
  ];
  // A fixed pseudo-random order (LCG), so runs send the same sequence.
  let s = 12345;
  for (let i = all.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}
