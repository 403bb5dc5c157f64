// GET /api/search and POST /api/search/:searchId/feedback: schemas bound every input before the
// handler runs, so a bad request is a 400 with a reason and never reaches the search. Validation
// is strict (src/shared/strict-http-input.ts): `limit` is plain decimal digits in range, and an
// unknown query parameter or body key is refused rather than ignored.
import type { FastifyInstance } from 'fastify';
import type { SearchService } from '../search-service.js';
import { sendError } from './errors.js';
import { markSearchMode } from './search-mode.js';

export const MAX_QUERY_BYTES = 2048;
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 10;

const userHeader = {
  type: 'object',
  properties: {
    'x-user-id': { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$' },
  },
  required: ['x-user-id'],
} as const;

const searchSchema = {
  headers: userHeader,
  querystring: {
    type: 'object',
    properties: {
      q: { type: 'string', minLength: 1, maxLength: MAX_QUERY_BYTES },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
    },
    required: ['q'],
    additionalProperties: false,
  },
} as const;

const feedbackSchema = {
  params: {
    type: 'object',
    properties: { searchId: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
    required: ['searchId'],
  },
  querystring: { type: 'object', additionalProperties: false },
  body: {
    type: 'object',
    properties: { rating: { type: 'integer', minimum: 1, maximum: 5 } },
    required: ['rating'],
    additionalProperties: false,
  },
} as const;

interface SearchQuery {
  q: string;
  limit: number;
}

export function registerSearchRoutes(app: FastifyInstance, service: SearchService): void {
  app.get<{ Querystring: SearchQuery; Headers: { 'x-user-id': string } }>(
    '/api/search',
    { schema: searchSchema },
    async (req, reply) => {
      const { q, limit } = req.query;
      if (q.trim() === '') return sendError(reply, 400, 'querystring/q must contain a search term');
      if (Buffer.byteLength(q, 'utf8') > MAX_QUERY_BYTES) {
        return sendError(reply, 400, `querystring/q must be at most ${MAX_QUERY_BYTES} bytes`);
      }
      const userId = req.headers['x-user-id'];
      const answer = await service.search({ q, limit, userId, clientAddress: req.ip });
      markSearchMode(req, answer.mode);
      return answer;
    },
  );

  app.post<{ Params: { searchId: string }; Body: { rating: number } }>(
    '/api/search/:searchId/feedback',
    { schema: feedbackSchema },
    async (req, reply) => {
      const result = service.feedback(req.params.searchId, req.body.rating);
      switch (result) {
        case 'recorded':
          return reply.code(202).send({ searchId: req.params.searchId, rating: req.body.rating });
        case 'unknown':
          return sendError(
            reply,
            404,
            'unknown or expired searchId: feedback is taken for an hour after the search',
          );
        case 'already_rated':
          return sendError(reply, 409, 'this search has already been rated');
      }
    },
  );
}
