import type { Graph } from './runtime.js';

/** Nodes that pull packets in from outside; VPP shows its input nodes as "polling". */
export type NodeState = 'active' | 'polling' | 'idle';

/**
 * The `show run` table: per node Calls, Vectors, Suspends, Clocks and Vectors/Call, in the
 * layout of VPP's runtime statistics. JavaScript has no cycle counter, so Clocks is the mean
 * time per packet in nanoseconds (per call for nodes that handled no packets).
 */
export function showRun(graph: Graph, inputNodes: ReadonlySet<string> = new Set()): string {
  const rows = graph.nodes.map((node) => {
    const c = graph.counters(node.name);
    const state: NodeState = inputNodes.has(node.name) ? 'polling' : c.calls > 0 ? 'active' : 'idle';
    const perUnit = c.vectors > 0 ? c.nanos / c.vectors : c.calls > 0 ? c.nanos / c.calls : 0;
    const vpc = c.calls > 0 ? c.vectors / c.calls : 0;
    return { name: node.name, state, ...c, clocks: perUnit, vpc };
  });
  const totalVectors = rows.reduce((sum, r) => sum + r.vectors, 0);
  const totalCalls = rows.reduce((sum, r) => sum + r.calls, 0);
  const seconds = graph.uptime;
  const input = rows.filter((r) => inputNodes.has(r.name)).reduce((sum, r) => sum + r.vectors, 0);
  const dropped = graph.counters('error-drop').vectors;
  const lines = [
    `Time ${seconds.toFixed(1)}, average vectors/node ${(totalCalls ? totalVectors / totalCalls : 0).toFixed(2)}`,
    `  vector rates in ${sci(input / seconds)}, drop ${sci(dropped / seconds)}`,
    [
      pad('Name', 30),
      pad('State', 8),
      lpad('Calls', 12),
      lpad('Vectors', 14),
      lpad('Suspends', 10),
      lpad('Clocks', 10),
      lpad('Vectors/Call', 14),
    ].join(' '),
  ];
  for (const r of [...rows].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(
      [
        pad(r.name, 30),
        pad(r.state, 8),
        lpad(String(r.calls), 12),
        lpad(String(r.vectors), 14),
        lpad(String(r.suspends), 10),
        lpad(sci(r.clocks), 10),
        lpad(r.vpc.toFixed(2), 14),
      ].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}

/** VPP-style short scientific notation: 1.34e3, 0.00e0. */
export function sci(n: number): string {
  if (!Number.isFinite(n) || n === 0) return '0.00e0';
  const [mantissa, exponent] = n.toExponential(2).split('e');
  return `${mantissa}e${Number(exponent)}`;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

function lpad(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}
