// The metrics port (`canary serve --metrics-port`, SEARCH_METRICS_PORT): /metrics served by a
// thread of its own, from a page the main thread writes every REFRESH_MS and sends it. The main
// port's /metrics stays as it is (metrics-route.ts); this one is for a Prometheus that should not
// wait on the search traffic: under load a scrape of the main port waits out the searches ahead
// of it and the main thread's GC pauses (docs/performance.md, "The metrics port").
//
// What a scrape here sees is up to REFRESH_MS old (plus any stall of the main thread), and says
// so (ai_search_metrics_page_age_seconds). A page older than STALE_AFTER_MS is refused with 503:
// a service whose event loop is stuck must fail its scrape, not look idle.
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.js';
import { siblingModule, startWorker } from '../../shared/worker-thread.js';
import type { MetricsPage } from '../metrics.js';
import {
  epochMs,
  type FromMetricsPort,
  type MetricsPortData,
  type ToMetricsPort,
} from './metrics-port-protocol.js';

/**
 * How often the main thread writes the page for the metrics port. A write when little changed
 * costs ~0.2 ms here (the families keep their text), so four a second are ~0.1% of a core; and a
 * quarter of a second is nothing beside the windows the rules take rates over (minutes).
 */
const REFRESH_MS = 250;
/** Ten seconds without a page: the main thread is stuck (or stopping); scrapes get 503. */
const STALE_AFTER_MS = 10_000;
/** A thread that died is started again after this pause. */
const RESTART_MS = 1000;

export interface MetricsPortOptions {
  readonly render: () => Promise<MetricsPage>;
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
  readonly refreshMs?: number;
  readonly staleAfterMs?: number;
  /** The thread's module; tests substitute one that can be made to crash. */
  readonly workerUrl?: URL;
}

export interface MetricsPort {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The page's pieces in one buffer of its own, to be transferred to the thread. Not `page.body`: a
 * short join (the 503 page of monitoring off) is cut from Buffer's shared pool, whose memory must
 * not be handed to another thread.
 */
function transferable(page: MetricsPage): ArrayBuffer {
  const out = new Uint8Array(page.bytes);
  let at = 0;
  for (const chunk of page.chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out.buffer;
}

function listening(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) =>
      reject(new Error(`the metrics port's thread exited (code ${code}) before it listened`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: FromMetricsPort) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.type === 'listening') return resolve(message.port);
      const err = new Error(`the metrics port could not listen: ${message.message}`);
      (err as NodeJS.ErrnoException).code = message.code;
      reject(err);
    });
  });
}

export async function startMetricsPort(options: MetricsPortOptions): Promise<MetricsPort> {
  const { render, host, logger } = options;
  const refreshMs = options.refreshMs ?? REFRESH_MS;
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;
  const url = options.workerUrl ?? siblingModule('metrics-port-worker', import.meta.url);
  let closing = false;
  let worker: Worker;
  /** Settles when the current thread has exited. */
  let exited: Promise<unknown> = Promise.resolve();
  let writing = false;
  let failing = false;

  const send = (message: ToMetricsPort, transfer: ArrayBuffer[] = []) =>
    worker.postMessage(message, transfer);

  // One page at a time: a write still running when the timer fires again is not doubled.
  const refresh = async () => {
    if (writing || closing) return;
    writing = true;
    try {
      const page = await render();
      const body = transferable(page);
      const { status, contentType } = page;
      send({ type: 'page', status, contentType, body, writtenAt: epochMs() }, [body]);
      if (failing) logger.info('the metrics page is written again');
      failing = false;
    } catch (err) {
      // The thread keeps the last page; after staleAfterMs its scrapes fail, which is the signal.
      if (!failing) logger.error({ err }, 'could not write the metrics page for the metrics port');
      failing = true;
    } finally {
      writing = false;
    }
  };

  const start = async (port: number): Promise<number> => {
    const data: MetricsPortData = { host, port, staleAfterMs, refreshMs };
    const current = startWorker(url, data);
    worker = current;
    exited = new Promise((resolve) => current.once('exit', resolve));
    const bound = await listening(current);
    current.on('error', (err) => logger.error({ err }, "the metrics port's thread failed"));
    current.once('exit', (code) => {
      if (closing) return;
      logger.error(
        { code },
        `the metrics port's thread exited; starting it again in ${RESTART_MS} ms`,
      );
      setTimeout(() => void restart(bound), RESTART_MS).unref();
    });
    return bound;
  };
  // On the port it had: a scraper's target does not move.
  const restart = async (port: number) => {
    if (closing) return;
    try {
      await start(port);
      await refresh();
    } catch (err) {
      logger.error({ err }, 'the metrics port could not be started again');
    }
  };

  const bound = await start(options.port);
  await refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    async close() {
      closing = true;
      clearInterval(timer);
      send({ type: 'close' });
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
