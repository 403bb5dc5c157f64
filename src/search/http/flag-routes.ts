// Flag admin over HTTP, through the flag store: anyone may read a rollout; changing one needs the
// FLAG_ADMIN_TOKEN bearer token (no token configured: writing is off). Why the flag file cannot be
// read (its path, parser messages quoting its contents) is told to token holders only.
import type { FastifyInstance } from 'fastify';
import { SEGMENTS, type FlagChange, type FlagStore } from '../../flags/types.js';
import type { Logger } from '../../shared/logger.js';
import { checkAdminToken } from './admin-token.js';
import { sendError } from './errors.js';

const keyParams = {
  type: 'object',
  properties: { key: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } },
  required: ['key'],
  additionalProperties: false,
} as const;

const noQuery = { type: 'object', additionalProperties: false } as const;

const putBody = {
  type: 'object',
  properties: {
    value: { type: 'boolean' },
    percentage: { type: 'integer', minimum: 0, maximum: 100 },
    segment: { type: 'string', enum: [...SEGMENTS] },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
    actor: { type: 'string', minLength: 1, maxLength: 64 },
  },
  required: ['reason'],
  additionalProperties: false,
} as const;

interface PutBody {
  value?: boolean;
  percentage?: number;
  segment?: (typeof SEGMENTS)[number];
  reason: string;
  actor?: string;
}

export function registerFlagRoutes(
  app: FastifyInstance,
  store: FlagStore,
  adminToken: string | undefined,
  logger: Logger,
): void {
  app.get<{ Params: { key: string } }>(
    '/api/flags/:key',
    { schema: { params: keyParams, querystring: noQuery } },
    async (req, reply) => {
      try {
        const rollout = await store.getRollout(req.params.key);
        if (rollout === undefined) return sendError(reply, 404, `no flag named ${req.params.key}`);
        return { flag: req.params.key, rollout };
      } catch (err) {
        if (checkAdminToken(adminToken, req.headers.authorization).ok) {
          return sendError(reply, 503, `the flag file cannot be read: ${(err as Error).message}`);
        }
        return sendError(
          reply,
          503,
          'the flag file cannot be read; send the FLAG_ADMIN_TOKEN bearer token to see why',
        );
      }
    },
  );

  app.put<{ Params: { key: string }; Body: PutBody }>(
    '/api/flags/:key',
    {
      schema: { params: keyParams, querystring: noQuery, body: putBody },
      // Before the body is even parsed: an unauthenticated caller learns nothing else.
      onRequest: async (req, reply) => {
        const auth = checkAdminToken(adminToken, req.headers.authorization);
        if (!auth.ok) {
          if (auth.status === 401) reply.header('www-authenticate', 'Bearer');
          return sendError(reply, auth.status, auth.reason);
        }
      },
    },
    async (req, reply) => {
      const { value, percentage, segment, reason, actor } = req.body;
      if (value === undefined && percentage === undefined) {
        return sendError(reply, 400, 'body must set value and/or percentage');
      }
      if (segment !== undefined && percentage === undefined) {
        return sendError(reply, 400, 'segment only applies together with percentage');
      }
      const change: FlagChange = { flag: req.params.key, value, percentage, segment };
      const who = actor ?? 'http-admin';
      const result = await store.update(change, {
        actor: who,
        reason,
        context: { via: 'PUT /api/flags/:key' },
      });
      if (!result.ok)
        return sendError(reply, 409, `the flag store refused the change: ${result.error}`);
      logger.info(
        { flag: change.flag, actor: who, reason, before: result.before, after: result.after },
        'flag changed over HTTP',
      );
      return {
        flag: change.flag,
        changed: result.changed,
        before: result.before,
        after: result.after,
      };
    },
  );
}
