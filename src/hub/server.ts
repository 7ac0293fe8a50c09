import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import type { CaptureTaskManager } from '../capture/task-manager.js';
import { hubLoggerOptions, requireToken } from './auth.js';
import { handleError, sendError } from './http-errors.js';
import { collectOpenApi } from './openapi.js';
import { graphRoutes, type LiveGraph } from './routes/graph.js';
import { healthRoutes, type MetricFamily } from './routes/health.js';
import { taskRoutes } from './routes/tasks.js';

export interface HubOptions {
  /** The API token every request must carry, or null to serve without one (loopback only; the caller checks). */
  token: string | null;
  tasks: CaptureTaskManager;
  /** The running processing graphs, for trace and show run. */
  graphs: () => LiveGraph[];
  metrics: () => MetricFamily[];
  /** More routes (entries, streams, export, snapshots, the live WebSocket) registered by the caller. */
  routes?: ReadonlyArray<(app: FastifyInstance) => void>;
  /** pino options for the structured log, or false for none (tests). */
  logger?: FastifyServerOptions['logger'];
}

export const HUB_VERSION = '0.1.0';

/** The hub's HTTP server: REST API, WebSocket, OpenAPI document, token check, clear 4xx errors. */
export async function buildHub(opts: HubOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: hubLoggerOptions(opts.logger ?? false),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'HUB_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
  // The WebSocket plugin's onRequest hook must run before the token check: it marks upgrade
  // requests so that a refused one has its socket closed, instead of left open for ever.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  if (opts.token !== null) requireToken(app, opts.token);
  const openapi = collectOpenApi(app, { title: 'meshtap hub API', version: HUB_VERSION });
  healthRoutes(app, opts.metrics);
  taskRoutes(app, opts.tasks);
  graphRoutes(app, opts.graphs);
  for (const register of opts.routes ?? []) register(app);
  app.get('/api/openapi.json', async () => openapi());
  return app;
}
