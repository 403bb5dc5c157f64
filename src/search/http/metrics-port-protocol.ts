// What the service's main thread and its metrics-port thread say to each other
// (metrics-port.ts, metrics-port-worker.ts).

export interface MetricsPortData {
  readonly host: string;
  readonly port: number;
  /** A page older than this is not served (503): the main thread has stopped writing them. */
  readonly staleAfterMs: number;
  /** How often the main thread writes the page, for the age metric's help text. */
  readonly refreshMs: number;
}

/** Main thread → metrics port. */
export type ToMetricsPort =
  | {
      readonly type: 'page';
      readonly status: number;
      readonly contentType: string;
      /** The page's bytes, transferred (the main thread keeps no view of them). */
      readonly body: ArrayBuffer;
      /** When the page was written: epoch milliseconds (performance.timeOrigin + now()). */
      readonly writtenAt: number;
    }
  | { readonly type: 'close' };

/** Metrics port → main thread. */
export type FromMetricsPort =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed'; readonly message: string; readonly code: string | undefined };

/**
 * Connections the metrics port keeps open at once. Prometheus holds one per target; a few more for
 * people and probes. Beyond this the server closes new connections at once, so no client can
 * exhaust the thread's sockets.
 */
export const MAX_CONNECTIONS = 64;

/** Epoch milliseconds with sub-millisecond precision, comparable across the two threads. */
export const epochMs = (): number => performance.timeOrigin + performance.now();
