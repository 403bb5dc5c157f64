// Per-key token buckets in memory: the AI-search quota per user and the request rate per client.
// Bounded: past `maxKeys` the least recently used key is forgotten (it starts again full).
import type { Clock } from '../shared/clock.js';
import { LruMap } from '../shared/lru-map.js';

export interface BucketOptions {
  /** Burst size: how many takes a fresh key may make at once. */
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly maxKeys?: number;
}

export type TakeResult =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets: LruMap<string, Bucket>;

  constructor(
    private readonly options: BucketOptions,
    private readonly clock: Clock,
  ) {
    this.buckets = new LruMap(options.maxKeys ?? 100_000);
  }

  take(key: string): TakeResult {
    const now = this.clock.now();
    const { capacity, refillPerSecond } = this.options;
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * refillPerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / refillPerSecond)),
    };
  }
}
