import type { GraphPacket } from './packet.js';

/** One node's visit of a traced packet: when, where, and what the node decoded. */
export interface TraceRecord {
  node: string;
  /** Wall-clock time of the visit, microseconds since the epoch. */
  timeUs: number;
  lines: string[];
}

export class PacketTrace {
  readonly records: TraceRecord[] = [];
  constructor(readonly id: number) {}

  add(node: string, timeUs: number, lines: string[]): void {
    this.records.push({ node, timeUs, lines });
  }
}

/** Traces are kept in memory: cap them so a large `trace add` cannot exhaust it. */
export const MAX_TRACED_PACKETS = 10_000;

/**
 * `trace add <node> <count>` / `show trace` / `clear trace`, modelled on VPP's packet tracer:
 * the next `count` packets entering a node get a trace buffer, and every node they pass
 * appends its decode lines to it.
 */
export class Tracer {
  private readonly budgets = new Map<string, number>();
  private traces: PacketTrace[] = [];
  private nextId = 1;

  add(node: string, count: number): void {
    const room = MAX_TRACED_PACKETS - this.traces.length;
    this.budgets.set(node, Math.min(count, Math.max(room, 0)) + (this.budgets.get(node) ?? 0));
  }

  /** Remaining packets to mark at `node` (0 when none): read once per vector by the runtime. */
  budget(node: string): number {
    return this.budgets.get(node) ?? 0;
  }

  /** Marks a packet entering `node` if that node still has budget. */
  mark(node: string, pkt: GraphPacket): void {
    const left = this.budgets.get(node) ?? 0;
    if (left <= 0 || pkt.trace !== null || this.traces.length >= MAX_TRACED_PACKETS) return;
    this.budgets.set(node, left - 1);
    pkt.trace = new PacketTrace(this.nextId++);
    this.traces.push(pkt.trace);
  }

  clear(): void {
    this.budgets.clear();
    this.traces = [];
    this.nextId = 1;
  }

  get traced(): readonly PacketTrace[] {
    return this.traces;
  }

  /** The `show trace` text: each packet's path through the graph with per-node decode lines. */
  /** `thread` names the graph, as VPP names the thread whose buffer it prints. */
  show(thread = '0 meshtap_main'): string {
    if (this.traces.length === 0) return 'No packets in trace buffer\n';
    const out: string[] = [`------------------- Start of thread ${thread} -------------------`];
    for (const trace of this.traces) {
      out.push(`Packet ${trace.id}`, '');
      for (const rec of trace.records) {
        out.push(`${formatTraceTime(rec.timeUs)}: ${rec.node}`);
        for (const line of rec.lines) out.push(`  ${line}`);
      }
      out.push('');
    }
    return out.join('\n');
  }
}

/** VPP prints trace times as HH:MM:SS:uuuuuu; we do the same in UTC. */
export function formatTraceTime(timeUs: number): string {
  const d = new Date(Math.floor(timeUs / 1000));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = Math.floor(timeUs % 1_000_000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}:${pad(micros, 6)}`;
}
