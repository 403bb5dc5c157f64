// A small seeded random number generator (mulberry32): the same seed gives the same sequence of
// fault decisions, latencies and ids, so a test that injects 20% errors sees the same failures on
// every run.

import { mulberry32 } from '../shared/random.js';

export interface Rng {
  /** A number in [0, 1). */
  next(): number;
  /** A lowercase hex string of `length` characters. */
  hex(length: number): string;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  const hex = (length: number): string => {
    let out = '';
    while (out.length < length) out += Math.floor(next() * 16).toString(16);
    return out;
  };
  return { next, hex };
}
