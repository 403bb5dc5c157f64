// The keyword queries the search benches send: few and many matches, one to five words, a
// diacritic. One list, so bench:service and bench:query measure the same searches.
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
