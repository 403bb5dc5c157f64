// A small seeded random number generator (mulberry32): the same seed gives the same sequence of
// fault decisions, latencies and ids, so a test that injects 20% errors sees the same failures on
// every run.

export interface Rng {
  /** A number in [0, 1). */
  next(): number;
  /** A lowercase hex string of `length` characters. */
  hex(length: number): string;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const hex = (length: number): string => {
    let out = '';
    while (out.length < length) out += Math.floor(next() * 16).toString(16);
    return out;
  };
  return { next, hex };
}
