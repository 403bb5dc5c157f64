// The messages between the reader pool (main thread) and a reader worker. Kept apart from both so
// each side imports only the types, not the other's code.
import type { SearchFilters } from '../llm/types.js';
import type { ContactHit, DbOperation } from './queries.js';

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
      readonly hits: ContactHit[];
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
