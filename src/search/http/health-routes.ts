// /healthz (the process answers), /readyz (it can serve: database open, flags loaded) and /metrics.
import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics.js';

/** Reasons the service cannot serve now; empty when ready. */
export type Readiness = () => string[];

export function registerHealthRoutes(
  app: FastifyInstance,
  readiness: Readiness,
  metrics: ServiceMetrics,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const reasons = readiness();
    return reasons.length === 0 ? { ready: true } : reply.code(503).send({ ready: false, reasons });
  });

  app.get('/metrics', async (_req, reply) => {
    const page = await metrics.render();
    // Server-Timing: the render time alone, for clients (and bench:service) beside the round trip.
    return reply
      .code(page.status)
      .header('content-type', page.contentType)
      .header('server-timing', `render;dur=${(page.renderSeconds * 1000).toFixed(3)}`)
      .send(page.body);
  });
}
