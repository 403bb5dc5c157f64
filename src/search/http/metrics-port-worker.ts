// The metrics port's thread (started by metrics-port.ts): a node:http server of its own that
// answers GET /metrics with the last page the service's main thread sent it. A scrape here never
// waits on the main thread's event loop, so neither on the searches queued there nor on its GC
// pauses (under load, most of what a scrape of the main port paid over a static server:
// docs/performance.md). The price is the page's age, at most the refresh interval while the main
// thread keeps up; it is on the page (ai_search_metrics_page_age_seconds), and a page older than
// staleAfterMs is refused with 503 so that a stuck service shows as a failed scrape (up = 0), not
// as one with no traffic.
import { createServer, type ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import {
  MAX_CONNECTIONS,
  epochMs,
  type FromMetricsPort,
  type MetricsPortData,
  type ToMetricsPort,
} from './metrics-port-protocol.js';

const options = workerData as MetricsPortData;
const parent = parentPort;
if (!parent)
  throw new Error('metrics-port-worker.ts runs as a worker thread (see metrics-port.ts)');

interface Page {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly writtenAt: number;
}
let page: Page | undefined;

const AGE = 'ai_search_metrics_page_age_seconds';
const AGE_HEADER =
  `# HELP ${AGE} How old the page was when this scrape was answered (the service writes it every ` +
  `${options.refreshMs / 1000} s; this port serves the last one)\n# TYPE ${AGE} gauge\n`;

const post = (message: FromMetricsPort) => parent.postMessage(message);

function plain(res: ServerResponse, status: number, text: string, headers = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

// A scrape is a GET without a body: ten seconds for its headers and the whole request is ample,
// and a client that trickles them is cut off (Node checks every 30 s by default).
const server = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) => {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path !== '/metrics') return plain(res, 404, 'not found: this port serves GET /metrics only');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return plain(res, 405, `method ${req.method} not allowed on /metrics`, { allow: 'GET, HEAD' });
  if (!page) return plain(res, 503, 'no metrics page yet: the service is starting');
  const ageMs = epochMs() - page.writtenAt;
  if (ageMs > options.staleAfterMs) {
    const age = (ageMs / 1000).toFixed(1);
    return plain(
      res,
      503,
      `the metrics page is ${age} s old: the service's main thread has not written one for over ` +
        `${options.staleAfterMs / 1000} s (its event loop is blocked, or it is stopping)`,
    );
  }
  const age =
    page.status === 200 ? Buffer.from(`${AGE_HEADER}${AGE} ${(ageMs / 1000).toFixed(4)}\n`) : null;
  res.writeHead(page.status, {
    'content-type': page.contentType,
    'content-length': String(page.body.length + (age?.length ?? 0)),
  });
  if (req.method === 'HEAD') return void res.end();
  res.cork();
  res.write(page.body);
  if (age) res.write(age);
  res.end();
});

parent.on('message', (message: ToMetricsPort) => {
  if (message.type === 'close') {
    server.close(() => parent.close());
    server.closeAllConnections();
    return;
  }
  const { status, contentType, writtenAt } = message;
  page = { status, contentType, writtenAt, body: Buffer.from(message.body) };
});

server.maxConnections = MAX_CONNECTIONS;
server.once('error', (err: NodeJS.ErrnoException) => {
  post({ type: 'listen-failed', message: err.message, code: err.code });
  parent.close();
});
server.listen(options.port, options.host, () => {
  const address = server.address();
  post({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
