// A small pool of reader workers (worker_threads), each with its own read-only connection. A
// search goes to the worker with the fewest requests in flight. The timings the worker took are
// replayed into the DB observer here, so db_client_operation_duration and its error_type stay the
// same whichever thread ran the query. A worker that dies is replaced; the searches it held fail
// at once as DB errors (error_type "reader_exited"), so the route answers 500 instead of hanging.
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { siblingModule, startWorker } from '../../shared/worker-thread.js';
import type { SearchFilters } from '../llm/types.js';
import type { ContactHit, DbObserver, DbOperation } from './queries.js';
import type { ReaderReply, ReaderRequest, ReaderWorkerData } from './reader-protocol.js';

/** error_type of a search whose worker exited before answering. */
export const READER_EXITED = 'reader_exited';

/** A failed query, with the SQLite code when there is one (like better-sqlite3's own errors). */
export class DbQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DbQueryError';
  }
}

export interface ReaderExit {
  readonly threadId: number;
  readonly code: number;
  /** Searches in flight on it, failed. */
  readonly pending: number;
  /** The uncaught exception that ended it, if that is what did. */
  readonly error: string | undefined;
}

export interface ReaderPoolOptions {
  readonly file: string;
  readonly size: number;
  readonly observe: DbObserver;
  /** Told when a worker exits unexpectedly (it is replaced). */
  readonly onWorkerExit?: (info: ReaderExit) => void;
  /** The worker module; tests substitute one that can be made to crash. */
  readonly workerUrl?: URL;
}

interface Pending {
  readonly operation: DbOperation;
  readonly started: number;
  readonly resolve: (hits: ContactHit[]) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** False from the worker's exit until its replacement starts. */
  alive: boolean;
  readonly pending: Map<number, Pending>;
  /** When the current worker was started: a worker that dies young is restarted after a pause. */
  startedAt: number;
}

const RESTART_PAUSE_MS = 1000;
/** How long close() waits for searches in flight (a SIGTERM lets them answer). */
const DRAIN_MS = 5000;
const YOUNG_MS = 1000;

const defaultWorkerUrl = (): URL => siblingModule('reader-worker', import.meta.url);

export class ReaderPool {
  private readonly slots: Slot[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  /** Called when the last search in flight settles (close() waits on it). */
  private onIdle: (() => void) | undefined;

  constructor(private readonly options: ReaderPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new Error(`reader pool size must be a positive integer, got ${options.size}`);
    }
    for (let i = 0; i < options.size; i++) {
      const slot: Slot = {
        worker: undefined as unknown as Worker,
        alive: false,
        pending: new Map(),
        startedAt: 0,
      };
      this.slots.push(slot);
      this.start(slot);
    }
  }

  /** Worker threads currently running (for readiness and tests). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  keywordSearch(query: string, limit: number): Promise<ContactHit[]> {
    return this.send('keyword_search', (id) => ({ id, kind: 'keyword', query, limit }));
  }

  filterSearch(filters: SearchFilters, limit: number): Promise<ContactHit[]> {
    return this.send('filter_search', (id) => ({ id, kind: 'filter', filters, limit }));
  }

  /**
   * Takes no new search, lets the ones in flight finish (for at most `drainMs`), then stops every
   * worker; resolves once all have exited. Searches still in flight after `drainMs` fail.
   */
  close(drainMs = DRAIN_MS): Promise<void> {
    return (this.closing ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      if (this.inFlight() > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.onIdle = resolve;
          timer = setTimeout(resolve, drainMs);
        });
        clearTimeout(timer);
      }
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
      for (const slot of this.slots) {
        this.failPending(slot, 'the contacts database was closed', false);
      }
    })());
  }

  private start(slot: Slot): void {
    const data: ReaderWorkerData = { file: this.options.file };
    const worker = startWorker(this.options.workerUrl ?? defaultWorkerUrl(), data);
    slot.worker = worker;
    slot.alive = true;
    slot.startedAt = performance.now();
    worker.on('message', (reply: ReaderReply) => this.settle(slot, reply));
    // 'error' (an uncaught exception in the worker) is always followed by 'exit'.
    let uncaught: Error | undefined;
    worker.on('error', (err) => void (uncaught = err));
    const threadId = worker.threadId;
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.alive = false;
      if (this.closing) return;
      const pending = slot.pending.size;
      const why = uncaught ? `: ${uncaught.message}` : '';
      this.failPending(slot, `the database reader thread exited (code ${code})${why}`);
      this.options.onWorkerExit?.({ threadId, code, pending, error: uncaught?.message });
      const young = performance.now() - slot.startedAt < YOUNG_MS;
      if (!young) return this.start(slot);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closing) this.start(slot);
      }, RESTART_PAUSE_MS);
      this.timers.add(timer);
    });
  }

  private send(operation: DbOperation, request: (id: number) => ReaderRequest) {
    if (this.closing) {
      return Promise.reject(new DbQueryError('the contacts database is closed', undefined));
    }
    const live = this.slots.filter((s) => s.alive);
    if (live.length === 0) {
      this.options.observe(operation, 0, READER_EXITED);
      return Promise.reject(
        new DbQueryError('no database reader thread is running (being restarted)', undefined),
      );
    }
    const slot = live.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.nextId++;
    return new Promise<ContactHit[]>((resolve, reject) => {
      slot.pending.set(id, { operation, started: performance.now(), resolve, reject });
      slot.worker.postMessage(request(id));
    });
  }

  private inFlight(): number {
    return this.slots.reduce((n, s) => n + s.pending.size, 0);
  }

  private settle(slot: Slot, reply: ReaderReply): void {
    const p = slot.pending.get(reply.id);
    if (!p) return;
    slot.pending.delete(reply.id);
    if (this.onIdle && this.inFlight() === 0) this.onIdle();
    for (const [op, seconds, errorType] of reply.observed)
      this.options.observe(op, seconds, errorType);
    if (reply.ok) p.resolve(JSON.parse(reply.hitsJson) as ContactHit[]);
    else p.reject(new DbQueryError(reply.message, reply.code));
  }

  private failPending(slot: Slot, reason: string, observe = true): void {
    for (const p of slot.pending.values()) {
      if (observe) {
        this.options.observe(p.operation, (performance.now() - p.started) / 1000, READER_EXITED);
      }
      p.reject(new DbQueryError(reason, undefined));
    }
    slot.pending.clear();
    if (this.onIdle && this.inFlight() === 0) this.onIdle();
  }
}
