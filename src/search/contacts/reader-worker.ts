// A reader worker: one read-only SQLite connection in its own thread, answering search requests
// from the reader pool. The FTS5 ranking query is most of a search's CPU time; here it runs beside
// the event loop instead of on it, so HTTP requests do not queue behind one another's queries.
import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnlyDatabase } from './database.js';
import { prepareContactQueries } from './queries.js';
import type {
  Observation,
  ReaderReply,
  ReaderRequest,
  ReaderWorkerData,
} from './reader-protocol.js';

const port = parentPort;
if (!port) throw new Error('reader-worker.ts runs only as a worker thread (see reader-pool.ts)');
const { file } = workerData as ReaderWorkerData;
const db = openReadOnlyDatabase(file);
let observed: Observation[] = [];
const queries = prepareContactQueries(db, (op, seconds, errorType) => {
  observed.push(errorType === undefined ? [op, seconds] : [op, seconds, errorType]);
});

port.on('message', (req: ReaderRequest) => {
  observed = [];
  let reply: ReaderReply;
  try {
    const hits =
      req.kind === 'keyword'
        ? queries.keywordSearch(req.query, req.limit)
        : queries.filterSearch(req.filters, req.limit);
    reply = { id: req.id, ok: true, hitsJson: JSON.stringify(hits), observed };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    reply = {
      id: req.id,
      ok: false,
      code: typeof code === 'string' ? code : undefined,
      message: (err as Error).message,
      observed,
    };
  }
  port.postMessage(reply);
});
