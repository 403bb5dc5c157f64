// Per-key token buckets in memory: the AI-search quota per user and the request rate per client.
// Bounded: past `maxKeys` the least recently used key is forgotten (it starts again full).
import type { Clock } from '../shared/clock.js';

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
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(
    private readonly options: BucketOptions,
    private readonly clock: Clock,
  ) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  take(key: string): TakeResult {
    const now = this.clock.now();
    const { capacity, refillPerSecond } = this.options;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * refillPerSecond);
    b.at = now;
    this.buckets.delete(key); // re-inserted below: Map order is then least recently used first
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
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
