import type { FastifyInstance, RouteOptions } from 'fastify';

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/**
 * Builds the OpenAPI 3 document from the routes as they register, using the same JSON
 * schemas fastify validates requests with, so the document cannot drift from the checks.
 */
export function collectOpenApi(app: FastifyInstance, info: { title: string; version: string }): () => object {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as
      | {
          summary?: string;
          tags?: string[];
          params?: Schema;
          querystring?: Schema;
          body?: Schema;
          response?: Record<string, unknown>;
        }
      | undefined;
    if (schema === undefined || route.url.startsWith('/api/openapi')) return;
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = {
        summary: schema.summary,
        tags: schema.tags,
        parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
        requestBody: schema.body
          ? { required: true, content: { 'application/json': { schema: schema.body } } }
          : undefined,
        responses: responses(schema.response),
      };
    }
  });
  return () => ({
    openapi: '3.0.3',
    info,
    components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    security: [{ token: [] }],
    paths,
  });
}

interface Schema {
  properties?: Record<string, unknown>;
  required?: string[];
}

function parameters(schema: Schema | undefined, where: 'path' | 'query'): unknown[] {
  return Object.entries(schema?.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema?.required ?? []).includes(name),
    schema: s,
  }));
}

function responses(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(schema ?? { 200: {} })) {
    out[status] = {
      description: status.startsWith('2') ? 'success' : 'error',
      content: { 'application/json': { schema: s } },
    };
  }
  out['4XX'] = { description: 'bad request: { error: { code, message } }' };
  return out;
}

declare module 'fastify' {
  /** Route schemas carry their OpenAPI summary and tags beside the validation schemas. */
  interface FastifySchema {
    summary?: string;
    tags?: string[];
  }
}
