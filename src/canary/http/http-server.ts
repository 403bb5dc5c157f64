// The daemon's HTTP surface: status page, JSON APIs, metrics, health and the reload endpoint.
// Reload is a write: with CANARY_ADMIN_TOKEN set it needs `Authorization: Bearer <token>`
// (compared in constant time); with no token configured it is accepted from loopback only.
// Input is read strictly (src/shared/strict-http-input.ts): `/api/actions?limit=` is plain digits
// in range, and the /api/* routes and reload refuse parameters and body keys they do not define.
import { bearerToken, tokensEqual } from '../../shared/bearer-token.js';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../../shared/logger.js';
import { installStrictInput, STRICT_SCHEMA_OPTIONS } from '../../shared/strict-http-input.js';
import type { ReloadResult } from '../engine/canary-daemon.js';
import type { DaemonMetrics } from '../metrics.js';
import { registerRolloutRoutes } from '../rollout/rollout-routes.js';
import type { RolloutDriver } from '../rollout/rollout-driver.js';
import { renderStatusPage } from './status-page.js';
import type { StatusSnapshot } from './status-snapshot.js';

export interface HttpDeps {
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly adminToken: string | undefined;
  /** The latest published snapshot: every read-only route renders from it and nothing else. */
  readonly status: () => StatusSnapshot;
  readonly reload: (trigger: string) => Promise<ReloadResult>;
  /** Where `POST /api/rollout/:command` goes (what it shows is the snapshot's `rollout`). */
  readonly rollout?: RolloutDriver;
}

/**
 * Why a write (reload, a rollout command) is refused, or undefined when it is allowed: with a
 * token configured it needs `Authorization: Bearer <token>`; without one, loopback only.
 */
export function adminRefusal(
  adminToken: string | undefined,
  req: FastifyRequest,
  what: string,
): { status: 401 | 403; error: string } | undefined {
  if (adminToken !== undefined) {
    if (tokenMatches(adminToken, req.headers.authorization)) return undefined;
    return { status: 401, error: `${what} needs Authorization: Bearer <CANARY_ADMIN_TOKEN>` };
  }
  if (isLoopback(req.socket.remoteAddress)) return undefined;
  return {
    status: 403,
    error: `${what} over HTTP is allowed from loopback only unless CANARY_ADMIN_TOKEN is set`,
  };
}

export function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = bearerToken(header);
  return given !== undefined && tokensEqual(given, expected);
}

export function isLoopback(address: string | undefined): boolean {
  return (
    address === '127.0.0.1' ||
    address === '::1' ||
    address === '::ffff:127.0.0.1' ||
    (address?.startsWith('127.') ?? false)
  );
}

const noQuery = { querystring: { type: 'object', additionalProperties: false } } as const;

const actionsSchema = {
  querystring: {
    type: 'object',
    properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
    additionalProperties: false,
  },
} as const;

function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).send({ error });
}

/** Client mistakes keep their 4xx and say what was wrong; anything else is a logged 500. */
function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, status, err.message);
  req.log.error({ err, route: req.routeOptions.url }, 'request failed');
  return sendError(reply, 500, 'internal error; the daemon log has the details');
}

export function buildHttpServer(d: HttpDeps): FastifyInstance {
  const app = Fastify({
    // Request lines are info level: the daemon's log stays about rules and actions.
    loggerInstance: d.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    ...STRICT_SCHEMA_OPTIONS,
    // A malformed URL (bad percent-encoding) gets the same error shape.
    frameworkErrors: (err, _req, reply) => sendError(reply, err.statusCode ?? 400, err.message),
  });
  installStrictInput(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`),
  );

  app.get('/', async (_req, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return renderStatusPage(d.status());
  });
  app.get('/api/rules', { schema: noQuery }, async () => d.status().rules);
  app.get<{ Querystring: { limit: number } }>(
    '/api/actions',
    { schema: actionsSchema },
    async (req) => ({ actions: d.status().actions.slice(0, req.query.limit) }),
  );
  app.get('/healthz', async () => d.status().health);
  app.get('/metrics', async (_req, reply) => {
    reply.type(d.metrics.registry.contentType);
    return d.metrics.registry.metrics();
  });
  app.post('/-/reload', { schema: noQuery }, async (req, reply) => {
    const refused = adminRefusal(d.adminToken, req, 'reload');
    if (refused) return reply.code(refused.status).send({ error: refused.error });
    if (!isEmptyBody(req.body)) {
      return sendError(reply, 400, 'reload takes no body (send none, or {})');
    }
    const r = await d.reload('http');
    if (!r.ok)
      return reply.code(400).send({
        ok: false,
        error: 'the rule files are invalid; the previous rules keep running',
        errors: r.errors,
      });
    return r;
  });
  registerRolloutRoutes(app, {
    view: () => d.status().rollout,
    driver: d.rollout,
    refusal: (req) => adminRefusal(d.adminToken, req, 'rollout commands'),
  });
  return app;
}

function isEmptyBody(body: unknown): boolean {
  if (body === undefined || body === null || body === '') return true;
  return typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0;
}
