// Deadlines as AbortSignals driven by the injected Clock, so tests with a FakeClock control them
// and production code uses real timers. A budget aborts its signal when its time is up or when
// the parent signal aborts, and remembers which of the two happened.
import type { Clock } from '../../shared/clock.js';

export interface TimeBudget {
  readonly signal: AbortSignal;
  remainingMs(): number;
  /** True once the time ran out (as opposed to the parent aborting). */
  readonly expired: boolean;
  /** Stops the timer; call it when the work is done. */
  dispose(): void;
}

export function startBudget(clock: Clock, ms: number, parent?: AbortSignal): TimeBudget {
  const controller = new AbortController();
  const deadline = clock.now() + ms;
  const stopTimer = new AbortController();
  let expired = false;
  void clock.sleep(ms, stopTimer.signal).then(() => {
    if (stopTimer.signal.aborted) return;
    expired = true;
    controller.abort(new Error(`time budget of ${ms} ms spent`));
  });
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    remainingMs: () => deadline - clock.now(),
    get expired() {
      return expired;
    },
    dispose() {
      stopTimer.abort();
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** Settles with the promise, or rejects as soon as the signal aborts (for work that ignores it). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new DOMException('aborted', 'AbortError'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
