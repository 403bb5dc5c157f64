// GET /metrics, answered before fastify's request pipeline. A scrape comes every few seconds to a
// process that is often idle in between, and on an idle machine every line of code on the way runs
// from cold caches (a loop that takes 0.07 ms back to back took 0.3 ms after 0.5 s of idle here):
// fastify's routing, hooks and reply added ~0.5 ms at the median to each idle scrape (Prometheus's
// scrape_duration_seconds, the same build with and without this path, docs/performance.md).
// The page, its headers and its own http_server_request_duration are the same on both paths;
// fastify still answers anything else at /metrics (a query string, POST, in-process inject()).
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import type { MetricsPage, ServiceMetrics } from '../metrics.js';

export const METRICS_ROUTE = '/metrics';

function headersOf(page: MetricsPage): Record<string, string> {
  return {
    'content-type': page.contentType,
    // The render time alone, for clients (and bench:service) beside the round trip.
    'server-timing': `render;dur=${(page.renderSeconds * 1000).toFixed(3)}`,
  };
}

/** The route as fastify serves it: the same page and headers as the listener below. */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServiceMetrics): void {
  app.get(METRICS_ROUTE, async (_req, reply) => {
    const page = await metrics.render();
    return reply.code(page.status).headers(headersOf(page)).send(page.body);
  });
}

const isScrape = (req: IncomingMessage) =>
  req.url === METRICS_ROUTE && (req.method === 'GET' || req.method === 'HEAD');

/**
 * A fastify `serverFactory`: the HTTP/1 server fastify would make (same timeouts), whose requests
 * go to fastify except a plain scrape of /metrics. A render that fails is handed to fastify,
 * whose route renders again and answers the failure the way every route does.
 */
export function metricsFirstServer(metrics: ServiceMetrics) {
  return (fastifyHandler: RequestListener, options: FastifyHttpOptions<Server>): Server => {
    const server = createServer(options.http ?? {}, (req, res) => {
      if (!isScrape(req)) return fastifyHandler(req, res);
      const started = performance.now();
      metrics.render().then(
        (page) => {
          res.writeHead(page.status, {
            ...headersOf(page),
            'content-length': String(page.bytes),
          });
          res.once('finish', () => {
            const seconds = (performance.now() - started) / 1000;
            metrics.recordHttp(METRICS_ROUTE, req.method as string, page.status, seconds);
          });
          if (req.method === 'HEAD') return void res.end();
          // The page's pieces as they are kept, in one write to the socket (end() uncorks).
          res.cork();
          for (const chunk of page.chunks) res.write(chunk);
          res.end();
        },
        () => fastifyHandler(req, res),
      );
    });
    // As fastify sets them on the server it makes (lib/server.js getServerInstance).
    server.keepAliveTimeout = options.keepAliveTimeout as number;
    server.requestTimeout = options.requestTimeout as number;
    server.setTimeout(options.connectionTimeout as number);
    if ((options.maxRequestsPerSocket ?? 0) > 0) {
      server.maxRequestsPerSocket = options.maxRequestsPerSocket as number;
    }
    return server;
  };
}
