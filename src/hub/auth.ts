import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { sendError } from './http-errors.js';

const TOKEN_FILE = 'hub-token';

/**
 * The hub's API token: made at first start (32 random bytes, hex), kept in the data
 * directory readable by its owner only. `created` tells the caller to print it once.
 */
export function loadOrCreateToken(dataDir: string): { token: string; created: boolean; path: string } {
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), created: false, path };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, created: true, path };
}

/** True for addresses only this machine can reach: the only place `--no-auth` is allowed. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Requires `Authorization: Bearer TOKEN` on every route but the health check. Browsers cannot
 * set headers on WebSocket upgrades, so `?token=` is accepted there too.
 */
export function requireToken(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/api/health') return;
    const header = request.headers.authorization;
    const query = request.query as Record<string, unknown> | undefined;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : query?.token;
    // The token is not a parameter of any route: routes with strict query schemas must not see it.
    if (query !== undefined) delete query.token;
    const ok =
      typeof given === 'string' &&
      given.length === expected.length &&
      timingSafeEqual(Buffer.from(given), expected);
    if (!ok)
      return sendError(
        reply,
        401,
        'HUB_UNAUTHORIZED',
        'missing or wrong API token (Authorization: Bearer TOKEN)',
      );
  });
}

/** The URL as logged: the value of a `token` query parameter is replaced. */
export function redactToken(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const params = new URLSearchParams(url.slice(start + 1));
  if (!params.has('token')) return url;
  params.set('token', 'REDACTED');
  return `${url.slice(0, start)}?${params.toString()}`;
}

/**
 * The hub's logger options: request lines as fastify logs them, except that a token sent as
 * `?token=` (WebSocket clients do) never reaches the log.
 */
export function hubLoggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: {
      ...base.serializers,
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactToken(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}
