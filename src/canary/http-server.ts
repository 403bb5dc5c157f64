// The daemon's HTTP surface: status page, JSON APIs, metrics, health and the reload endpoint.
// Reload is a write: with CANARY_ADMIN_TOKEN set it needs `Authorization: Bearer <token>`
// (compared in constant time); with no token configured it is accepted from loopback only.
import { bearerToken, tokensEqual } from '../shared/bearer-token.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/logger.js';
import type { ActionRecord } from './action-record.js';
import type { HealthView, RulesView } from './api-view.js';
import type { ReloadResult } from './canary-daemon.js';
import type { DaemonMetrics } from './metrics.js';
import { renderStatusPage } from './status-page.js';

export interface HttpDeps {
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly adminToken: string | undefined;
  readonly rules: () => RulesView;
  readonly health: () => HealthView;
  readonly actions: (limit: number) => readonly ActionRecord[];
  readonly reload: (trigger: string) => Promise<ReloadResult>;
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

export function buildHttpServer(d: HttpDeps): FastifyInstance {
  const app = Fastify({
    // Request lines are info level: the daemon's log stays about rules and actions.
    loggerInstance: d.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });

  app.get('/', async (_req, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return renderStatusPage(d.rules(), d.health(), d.actions(50));
  });
  app.get('/api/rules', async () => d.rules());
  app.get<{ Querystring: { limit?: string } }>('/api/actions', async (req, reply) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return reply.code(400).send({ error: 'limit must be an integer from 1 to 1000' });
    }
    return { actions: d.actions(limit) };
  });
  app.get('/healthz', async () => d.health());
  app.get('/metrics', async (_req, reply) => {
    reply.type(d.metrics.registry.contentType);
    return d.metrics.registry.metrics();
  });
  app.post('/-/reload', async (req, reply) => {
    if (d.adminToken !== undefined) {
      if (!tokenMatches(d.adminToken, req.headers.authorization)) {
        return reply
          .code(401)
          .send({ error: 'reload needs Authorization: Bearer <CANARY_ADMIN_TOKEN>' });
      }
    } else if (!isLoopback(req.socket.remoteAddress)) {
      return reply.code(403).send({
        error: 'reload over HTTP is allowed from loopback only unless CANARY_ADMIN_TOKEN is set',
      });
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
  return app;
}
