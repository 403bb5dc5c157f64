// A counting semaphore for LLM calls in flight. When every permit is taken a caller waits a
// bounded time (and only while a bounded number of others wait), then gives up, so a burst of
// searches turns into fast keyword answers instead of a pile-up of slow ones.
import type { Clock } from '../../shared/clock.js';

export interface AcquireOptions {
  readonly waitMs: number;
  readonly signal?: AbortSignal;
}

export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly permits: number,
    private readonly clock: Clock,
    private readonly maxWaiters = 1000,
  ) {
    if (!Number.isInteger(permits) || permits < 1)
      throw new Error(`Semaphore: permits must be ≥ 1, got ${permits}`);
    this.available = permits;
  }

  get inUse(): number {
    return this.permits - this.available;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** True with a permit (call release() exactly once), false when none came within waitMs. */
  async acquire(opts: AcquireOptions): Promise<boolean> {
    if (opts.signal?.aborted) return false;
    if (this.available > 0) {
      this.available -= 1;
      return true;
    }
    if (opts.waitMs <= 0 || this.waiters.length >= this.maxWaiters) return false;
    let granted = false;
    const stopWaiting = new AbortController();
    const onAbort = () => stopWaiting.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const waiter = () => {
      granted = true;
      stopWaiting.abort();
    };
    this.waiters.push(waiter);
    await this.clock.sleep(opts.waitMs, stopWaiting.signal);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!granted) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      return false;
    }
    return true;
  }

  release(): void {
    const next = this.waiters.shift();
    // The permit passes straight to the next waiter, so nobody can jump the queue.
    if (next) next();
    else this.available = Math.min(this.permits, this.available + 1);
  }
}
