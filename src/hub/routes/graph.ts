import type { FastifyInstance } from 'fastify';
import { showRun } from '../../graph/show-run.js';
import type { Graph } from '../../graph/runtime.js';
import { MeshtapError, UsageError } from '../../util/errors.js';

const traceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['node', 'count'],
  properties: {
    node: { type: 'string', minLength: 1, maxLength: 64 },
    count: { type: 'integer', minimum: 1, maximum: 10000 },
  },
} as const;

/** The live graph's tracer and counters: `trace add/show/clear` and `show run`, as text like the CLI prints. */
export function graphRoutes(app: FastifyInstance, graph: () => Graph | null, inputNode: string): void {
  const tags = ['packet tracing'];
  const live = (): Graph => {
    const g = graph();
    if (g === null) throw new MeshtapError('HUB_GRAPH_NOT_FOUND', 'no processing graph is running');
    return g;
  };
  app.post(
    '/api/trace',
    { schema: { summary: 'trace add NODE COUNT', tags, body: traceBody } },
    async (request) => {
      const { node, count } = request.body as { node: string; count: number };
      const g = live();
      if (!g.hasNode(node)) {
        throw new UsageError(
          'HUB_BAD_NODE',
          `no graph node named "${node}"; nodes: ${g.nodes.map((n) => n.name).join(', ')}`,
        );
      }
      g.tracer.add(node, count);
      return { node, count };
    },
  );
  app.get('/api/trace', { schema: { summary: 'show trace', tags } }, async (_request, reply) =>
    reply.type('text/plain').send(live().tracer.show()),
  );
  app.delete('/api/trace', { schema: { summary: 'clear trace', tags } }, async () => {
    live().tracer.clear();
    return { cleared: true };
  });
  app.get('/api/run', { schema: { summary: 'show run', tags } }, async (_request, reply) =>
    reply.type('text/plain').send(showRun(live(), new Set([inputNode]))),
  );
}
