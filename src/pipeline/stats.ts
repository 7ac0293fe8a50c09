import { showRun } from '../graph/show-run.js';
import type { Graph } from '../graph/runtime.js';
import { UsageError } from '../util/errors.js';
import type { TraceSpec } from '../cli/options.js';

/** `--stats`: show run, the drop reasons, any extra counters, and the process's peak memory. */
export function writeStats(
  out: NodeJS.WritableStream,
  graph: Graph,
  inputNode: string,
  extra: ReadonlyArray<[string, ReadonlyMap<string, number>]> = [],
): void {
  out.write(showRun(graph, new Set([inputNode])));
  const line = (count: number, label: string) => out.write(`${String(count).padStart(12)}  ${label}\n`);
  for (const [reason, count] of graph.errors) line(count, reason);
  for (const [prefix, counters] of extra)
    for (const [name, count] of counters) line(count, `${prefix} ${name}`);
  out.write(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
}

/** `--trace NODE:N`: arms the tracer, refusing node names the graph does not have. */
export function armTraces(graph: Graph, traces: readonly TraceSpec[]): void {
  for (const spec of traces) {
    if (!graph.hasNode(spec.node)) {
      const names = graph.nodes.map((n) => n.name).join(', ');
      throw new UsageError('CLI_UNKNOWN_NODE', `no graph node named "${spec.node}"; nodes: ${names}`);
    }
    graph.tracer.add(spec.node, spec.count);
  }
}
