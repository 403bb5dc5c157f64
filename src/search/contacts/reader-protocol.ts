// The messages between the reader pool (main thread) and a reader worker. Kept apart from both so
// each side imports only the types, not the other's code.
import type { SearchFilters } from '../llm/types.js';
import type { DbOperation } from './queries.js';

export type ReaderRequest =
  | {
      readonly id: number;
      readonly kind: 'keyword';
      readonly query: string;
      readonly limit: number;
    }
  | {
      readonly id: number;
      readonly kind: 'filter';
      readonly filters: SearchFilters;
      readonly limit: number;
    };

/** One query as the worker timed it: replayed into the metrics on the main thread. */
export type Observation = readonly [operation: DbOperation, seconds: number, errorType?: string];

export type ReaderReply =
  | {
      readonly id: number;
      readonly ok: true;
      /**
       * The hits as JSON text, parsed on the main thread. Sent as an object graph (a structured
       * clone), each reply's objects outlived the main thread's scavenges far more often: under
       * never-repeated keyword load its GC pauses were 5.3–5.5 ms at p50 against 4.6 ms as text,
       * and time paused 4.5 s against 3.7 s a minute (docs/performance.md).
       */
      readonly hitsJson: string;
      readonly observed: Observation[];
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** The SQLite code (e.g. SQLITE_CORRUPT) when there is one. */
      readonly code: string | undefined;
      readonly message: string;
      readonly observed: Observation[];
    };

export interface ReaderWorkerData {
  readonly file: string;
}
