// Load from a second process: autocannon against one service with one user's header, each request
// the next path of a list. Run as `node -e LOAD_SCRIPT url connections seconds user ...paths`; it
// prints one JSON object of LoadFigures.
import { createRequire } from 'node:module';

export const LOAD_SCRIPT = `const autocannon = require(${JSON.stringify(createRequire(import.meta.url).resolve('autocannon'))});
const [url, connections, seconds, user, ...paths] = process.argv.slice(1);
let next = 0;
autocannon({ url, connections: Number(connections), duration: Number(seconds), headers: { 'x-user-id': user },
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }] }, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors }));
});`;

export interface LoadFigures {
  rps: number;
  /** Requests answered in the run. */
  total: number;
  p50: number;
  p99: number;
  bad: number;
}

/** The benches measure the search, not the per-user quota or the per-client share of LLM calls. */
export const SERVE_ENV = { AI_SEARCH_RATE_LIMIT: '0', AI_SEARCH_CLIENT_CALL_SHARE: '0' };
