import type { FastifyInstance } from 'fastify';
import { showRun } from '../../graph/show-run.js';
import type { Graph } from '../../graph/runtime.js';
import { MeshtapError, UsageError } from '../../util/errors.js';

/** One running processing graph: the capture graph, or a mirror source's graph. */
export interface LiveGraph {
  /** How `show run`/`show trace` head its section (VPP's thread name). */
  label: string;
  graph: Graph;
  inputNode: string;
}

const traceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['node', 'count'],
  properties: {
    node: { type: 'string', minLength: 1, maxLength: 64 },
    count: { type: 'integer', minimum: 1, maximum: 10000 },
  },
} as const;

/**
 * The live graphs' tracers and counters: `trace add/show/clear` and `show run`, as text like
 * the CLI prints. With several graphs running (the capture graph and one per mirror source),
 * each gets its own section, as VPP prints one per thread; `trace add` arms every graph that
 * has the node.
 */
export function graphRoutes(app: FastifyInstance, graphs: () => LiveGraph[]): void {
  const tags = ['packet tracing'];
  const running = (): LiveGraph[] => {
    const list = graphs();
    if (list.length === 0) throw new MeshtapError('HUB_GRAPH_NOT_FOUND', 'no processing graph is running');
    return list;
  };
  const sections = (text: (g: LiveGraph, index: number, count: number) => string): string => {
    const list = running();
    return list.map((g, i) => text(g, i, list.length)).join(list.length > 1 ? '\n' : '');
  };
  app.post(
    '/api/trace',
    { schema: { summary: 'trace add NODE COUNT', tags, body: traceBody } },
    async (request) => {
      const { node, count } = request.body as { node: string; count: number };
      const list = running();
      const armed = list.filter((g) => g.graph.hasNode(node));
      if (armed.length === 0) {
        const names = new Set(list.flatMap((g) => g.graph.nodes.map((n) => n.name)));
        throw new UsageError(
          'HUB_BAD_NODE',
          `no graph node named "${node}"; nodes: ${[...names].join(', ')}`,
        );
      }
      for (const g of armed) g.graph.tracer.add(node, count);
      return { node, count, graphs: armed.map((g) => g.label) };
    },
  );
  app.get('/api/trace', { schema: { summary: 'show trace', tags } }, async (_request, reply) =>
    reply.type('text/plain').send(sections((g, i) => g.graph.tracer.show(`${i} ${g.label}`))),
  );
  app.delete('/api/trace', { schema: { summary: 'clear trace', tags } }, async () => {
    for (const g of running()) g.graph.tracer.clear();
    return { cleared: true };
  });
  app.get('/api/run', { schema: { summary: 'show run', tags } }, async (_request, reply) =>
    reply
      .type('text/plain')
      .send(
        sections(
          (g, i, count) =>
            (count > 1 ? `Thread ${i} ${g.label}\n` : '') + showRun(g.graph, new Set([g.inputNode])),
        ),
      ),
  );
}
