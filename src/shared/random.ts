// One seeded random number generator for the whole project (mulberry32): tiny, fast, identical on
// every platform, so the same seed gives the same contacts, traffic and injected faults.

/** A function returning numbers in [0, 1), the same sequence for the same seed. */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
