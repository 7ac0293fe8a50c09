import { showRun } from '../graph/show-run.js';
import type { Graph } from '../graph/runtime.js';

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
