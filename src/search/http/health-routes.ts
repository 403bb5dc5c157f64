// /healthz (the process answers), /readyz (it can serve: database open, flags loaded; and what is
// degraded, such as a flag store it cannot hear); /metrics is in metrics-route.ts.
// /readyz is unauthenticated (probes call it), so its reasons say what is wrong but never where
// (no paths, no file contents, no parser messages); a caller with the FLAG_ADMIN_TOKEN bearer
// token also gets the details.
import type { FastifyInstance } from 'fastify';
import { checkAdminToken } from './admin-token.js';

/** One reason the service cannot serve now. */
export interface NotReady {
  /** Safe for anyone: what is wrong, without paths or file contents. */
  readonly reason: string;
  /** The whole story (paths, parser messages), for admin-token holders only. */
  readonly detail: string;
  /**
   * Serving, but not as it should (e.g. last known flags while the flag store is unreachable):
   * listed under `degraded` with 200, so a load balancer does not drain every replica at once
   * when the store itself is down.
   */
  readonly degraded?: true;
}

/** Reasons the service cannot serve now; empty when ready. */
export type Readiness = () => readonly NotReady[];

export function registerHealthRoutes(
  app: FastifyInstance,
  readiness: Readiness,
  adminToken: string | undefined,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (req, reply) => {
    const all = readiness();
    const admin = checkAdminToken(adminToken, req.headers.authorization).ok;
    const notReady = all.filter((n) => !n.degraded);
    const degradedList = all.filter((n) => n.degraded);
    const degraded =
      degradedList.length === 0
        ? {}
        : {
            degraded: degradedList.map((n) => n.reason),
            ...(admin ? { degradedDetails: degradedList.map((n) => n.detail) } : {}),
          };
    if (notReady.length === 0) return { ready: true, ...degraded };
    const reasons = notReady.map((n) => n.reason);
    const body = admin
      ? { ready: false, reasons, details: notReady.map((n) => n.detail), ...degraded }
      : { ready: false, reasons, ...degraded };
    return reply.code(503).send(body);
  });
}
