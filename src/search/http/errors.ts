// One shape for every error answer: `{ error, reason }`, with a reason a person can act on.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'not_ready'
  | 'internal';

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly reason: string;
}

const CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'not_ready',
};

export function sendError(reply: FastifyReply, status: number, reason: string): FastifyReply {
  const body: ErrorBody = {
    error: CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request'),
    reason,
  };
  return reply.code(status).send(body);
}

/** Client mistakes keep their 4xx and say what was wrong; anything else is a logged 500. */
export function handleError(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, status, err.message);
  req.log.error({ err, route: req.routeOptions.url }, 'request failed');
  return sendError(reply, 500, 'internal error; the service log has the details');
}
