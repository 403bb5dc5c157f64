// Identical concurrent work done once: the first caller for a key starts it, later callers for the
// same key wait for that run instead of starting their own. Each caller keeps its own abort
// signal: one caller going away answers that caller at once, and the shared run is cancelled only
// when every caller waiting on it has gone. The run's own signal is therefore not any caller's.

interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
  settled: boolean;
}

export interface Joined<T> {
  readonly value: T;
  /** True when this caller waited for a run another caller started. */
  readonly shared: boolean;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();

  has(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * `run(signal)` must not reject; `gone()` is the answer for a caller whose own signal aborted
   * before the run ended.
   */
  join(
    key: string,
    signal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
    gone: () => T,
  ): Promise<Joined<T>> {
    if (signal?.aborted) return Promise.resolve({ value: gone(), shared: false });
    const existing = this.flights.get(key);
    const flight = existing ?? this.start(key, run);
    const shared = existing !== undefined;
    flight.waiters += 1;
    return new Promise((resolve) => {
      const leave = () => {
        flight.waiters -= 1;
        if (flight.waiters === 0 && !flight.settled) flight.controller.abort();
        resolve({ value: gone(), shared });
      };
      signal?.addEventListener('abort', leave, { once: true });
      const done = (value: T) => {
        signal?.removeEventListener('abort', leave);
        resolve({ value, shared });
      };
      // A run that broke its promise not to reject answers like a cancelled one.
      flight.promise.then(done, () => done(gone()));
    });
  }

  private start(key: string, run: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const flight: Flight<T> = {
      promise: run(controller.signal).finally(() => {
        flight.settled = true;
        this.flights.delete(key);
      }),
      controller,
      waiters: 0,
      settled: false,
    };
    this.flights.set(key, flight);
    return flight;
  }
}
