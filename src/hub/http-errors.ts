import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MeshtapError, UsageError } from '../util/errors.js';

/** The JSON body of every error the API returns: a stable code, a message, details when useful. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Maps meshtap's error codes to HTTP statuses: what the caller got wrong is a 4xx, never a 500. */
export function statusFor(err: MeshtapError): number {
  const code = err.code;
  if (code === 'HUB_UNAUTHORIZED') return 401;
  if (code.endsWith('_NOT_FOUND')) return 404;
  // The hub could not run `ip` to read addresses: its own fault, not the request's.
  if (code === 'MIRROR_ADDRESS_LOOKUP_FAILED') return 500;
  if (code.includes('_DUPLICATE_') || code === 'TASK_NOT_DOWNLOADABLE' || code === 'MIRROR_IN_USE')
    return 409;
  if (
    err instanceof UsageError ||
    /^(FILTER|QUERY|CAPTURE|TASK|SNAPSHOT|MIRROR|HUB_BAD|STORE_BAD)_/.test(code)
  )
    return 400;
  return 500;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const body: ApiErrorBody = {
    error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) },
  };
  return reply.code(status).type('application/json').send(body);
}

/** fastify's error handler: schema validation failures and meshtap errors become clear 4xx bodies. */
export function handleError(
  err: FastifyError | MeshtapError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof MeshtapError) {
    const status = statusFor(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    return sendError(reply, status, err.code, err.message, err.details);
  }
  const fe = err as FastifyError;
  if (fe.validation !== undefined) {
    return sendError(reply, 400, 'HUB_BAD_REQUEST', `${fe.validationContext ?? 'request'} ${fe.message}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendError(reply, fe.statusCode, 'HUB_BAD_REQUEST', fe.message);
  }
  request.log.error({ err }, 'request failed');
  return sendError(reply, 500, 'HUB_INTERNAL', 'internal error; see the hub log');
}
