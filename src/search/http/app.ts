// The fastify application: limits, request metrics, per-client rate limit, error shape, routes.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { FlagStore } from '../../flags/types.js';
import type { Logger } from '../../shared/logger.js';
import { installStrictInput, STRICT_SCHEMA_OPTIONS } from '../../shared/strict-http-input.js';
import type { ServiceMetrics } from '../metrics.js';
import type { SearchService } from '../search-service.js';
import type { TokenBuckets } from '../token-buckets.js';
import { handleError, sendError } from './errors.js';
import { registerFlagRoutes } from './flag-routes.js';
import { registerHealthRoutes, type Readiness } from './health-routes.js';
import { metricsFirstServer, registerMetricsRoute } from './metrics-route.js';
import { searchModeOf } from './search-mode.js';
import { registerSearchRoutes } from './search-routes.js';

/** The largest request body accepted (feedback and flag changes are tiny). */
export const BODY_LIMIT_BYTES = 4096;

export interface AppDeps {
  readonly service: SearchService;
  readonly flagStore: FlagStore;
  readonly metrics: ServiceMetrics;
  readonly readiness: Readiness;
  readonly adminToken: string | undefined;
  /** Requests per client address on /api/*; undefined turns the limit off. */
  readonly clientLimit: TokenBuckets | undefined;
  readonly logger: Logger;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    // pino's Logger type is wider than fastify's base logger; the instance is the same object.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One log line per request would drown the useful ones; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Search ids and flag keys are short; anything longer is not ours.
    routerOptions: { maxParamLength: 100 },
    // No type coercion, no silently dropped keys, reasons that name the field.
    ...STRICT_SCHEMA_OPTIONS,
    // A malformed URL (bad percent-encoding, an over-long id) gets the same error shape.
    frameworkErrors: (err, _req, reply) => sendError(reply, err.statusCode ?? 400, err.message),
    // A scrape of /metrics skips fastify's pipeline (metrics-route.ts says why).
    serverFactory: metricsFirstServer(deps.metrics),
  });
  installStrictInput(app);

  app.addHook('onResponse', async (req, reply) => {
    // The route template (bounded), never the raw path; unknown paths share one label.
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.recordHttp(route, req.method, reply.statusCode, seconds, searchModeOf(req));
  });

  const limit = deps.clientLimit;
  if (limit) {
    app.addHook('onRequest', async (req, reply) => {
      if (!req.url.startsWith('/api/')) return;
      const taken = limit.take(req.ip);
      if (!taken.ok) {
        reply.header('retry-after', String(taken.retryAfterSeconds));
        return sendError(
          reply,
          429,
          `too many requests from this client; retry after ${taken.retryAfterSeconds} s`,
        );
      }
    });
  }

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`),
  );

  registerSearchRoutes(app, deps.service);
  registerFlagRoutes(app, deps.flagStore, deps.adminToken, deps.logger);
  registerHealthRoutes(app, deps.readiness, deps.adminToken);
  registerMetricsRoute(app, deps.metrics);
  return app;
}
