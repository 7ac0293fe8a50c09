/**
 * Issue 7's benchmark: the mirror data path on captured input. The first N packets of the
 * big capture (MESHTAP_BENCH_MIRROR_PACKETS, 250k by default) go, in one process:
 *   - through the read graph with a counting consumer (`meshtap read -q`: decode only),
 *   - through the mirror graph with a session whose filter collects nothing (classification cost),
 *   - through the mirror graph with a session collecting everything, full frames and cut to
 *     128 bytes, sent to a loopback UDP sink in a child process that counts and discards,
 * and `tcpdump -r BIG -c N -w /dev/null` reads the same packets for reference. Prints
 * packets/s, Mbit/s of VXLAN payload, the per-node cost of the mirror nodes and the ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { openCapture } from '../src/pcap/index.js';
import { feedCapture } from '../src/pipeline/feed-capture.js';
import { buildReadGraph } from '../src/pipeline/read-graph.js';
import type { Graph } from '../src/graph/runtime.js';
import { allOutbound } from '../src/mirror/direction.js';
import { buildMirrorGraph, type MirrorSessionSpec } from '../src/mirror/mirror-graph.js';
import { MIRROR_NODE_NAMES } from '../src/mirror/mirror-nodes.js';
import type { MirrorCounters, MirrorRule } from '../src/mirror/types.js';
import { ratio, timeCommand } from './lib/measure.js';
import type { BenchContext } from './read.js';

const PACKETS = Number(process.env.MESHTAP_BENCH_MIRROR_PACKETS ?? 250_000);

/** A UDP sink on 127.0.0.1 that counts datagrams and bytes, and prints them when its stdin ends. */
const SINK = `
const s = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
let n = 0, bytes = 0;
s.on('message', (m) => { n++; bytes += m.length; });
s.bind(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
process.stdin.on('end', () => setTimeout(() => { process.stdout.write(JSON.stringify({ n, bytes }) + '\\n'); process.exit(0); }, 200));
process.stdin.resume();
`;

interface Run {
  label: string;
  seconds: number;
  packets: number;
  counters: MirrorCounters | null;
  nodeNanos: Map<string, number>;
}

/** Feeds the first PACKETS packets of the capture into a graph and times it. */
async function timeFeed(
  path: string,
  graph: Graph,
  afterVector: () => Promise<void> | void,
): Promise<number> {
  const reader = await openCapture(path);
  let fed = 0;
  const started = performance.now();
  await feedCapture(reader, graph, async () => {
    await afterVector();
    fed = graph.counters('pcap-input').vectors;
    return fed >= PACKETS;
  });
  return (performance.now() - started) / 1000;
}

async function readGraphRun(path: string): Promise<Run> {
  let packets = 0;
  const graph = buildReadGraph({
    consumer: { needsOrder: false, consume: (vector) => void (packets += vector.count) },
  });
  const seconds = await timeFeed(path, graph, () => undefined);
  return { label: 'read graph (meshtap read -q)', seconds, packets, counters: null, nodeNanos: new Map() };
}

/** Collect every IPv4 and IPv6 packet the source sends. */
function everything(): MirrorRule[] {
  const base = {
    filterId: 1,
    direction: 'outbound' as const,
    protocol: 'ALL' as const,
    sourcePorts: null,
    destinationPorts: null,
  };
  return [
    { ...base, id: 1, priority: 1, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', policy: 'Collect' },
    { ...base, id: 2, priority: 2, sourceCidr: '::/0', destinationCidr: '::/0', policy: 'Collect' },
  ];
}

function sessionSpec(port: number, packetLength: number, collect: boolean): MirrorSessionSpec {
  const rules = collect ? everything() : [];
  return {
    filter: { id: 1, name: 'bench', description: '', tags: [], inbound: [], outbound: rules, createdAt: '' },
    session: {
      id: 1,
      name: 'bench',
      description: '',
      tags: [],
      vni: 4242,
      priority: 1,
      packetLength,
      filterId: 1,
      sources: [],
      destination: { kind: 'endpoint', endpoint: { host: '127.0.0.1', port } },
      state: 'Running',
      createdAt: '',
    },
  };
}

async function mirrorRun(label: string, path: string, spec: MirrorSessionSpec): Promise<Run> {
  const handle = await buildMirrorGraph({ directionOf: allOutbound, sessions: [spec] });
  const seconds = await timeFeed(path, handle.graph, () => handle.drain());
  await handle.close();
  const nodeNanos = new Map(MIRROR_NODE_NAMES.map((n) => [n, handle.graph.counters(n).nanos] as const));
  const packets = handle.graph.counters('pcap-input').vectors;
  return { label, seconds, packets, counters: handle.counters(1), nodeNanos };
}

async function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d))),
  );
  return { child, port };
}

async function stopSink(child: ChildProcess): Promise<{ n: number; bytes: number }> {
  const result = new Promise<{ n: number; bytes: number }>((resolve) =>
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().startsWith('{')) resolve(JSON.parse(d.toString()));
    }),
  );
  child.stdin?.end();
  return result;
}

function row(run: Run, base: Run): string {
  const pps = run.packets / run.seconds;
  const c = run.counters;
  const mbit = c ? `${((c.sentBytes * 8) / run.seconds / 1e6).toFixed(0)} Mbit/s` : '';
  const mirrored = c ? `${c.mirrored} (${c.truncated} cut, ${c.sendErrors} errors)` : '';
  return `| ${run.label} | ${run.seconds.toFixed(2)} | ${(pps / 1e3).toFixed(0)} kpps | ${mbit} | ${mirrored} | ${ratio(run.seconds, base.seconds)} |`;
}

function nodeCosts(run: Run): string {
  const perPacket = [...run.nodeNanos].map(([n, nanos]) => `${n} ${(nanos / run.packets).toFixed(0)} ns`);
  return `${run.label}: per input packet ${perPacket.join(', ')}`;
}

export async function benchMirror(ctx: BenchContext): Promise<void> {
  const path = ctx.bigCapture;
  const tcpdump = await timeCommand('tcpdump -r -c -w /dev/null', 'tcpdump', [
    '-r',
    path,
    '-c',
    String(PACKETS),
    '-w',
    '/dev/null',
  ]);
  const read = await readGraphRun(path);
  const { child, port } = await startSink();
  const none = await mirrorRun('mirror, filter collects nothing', path, sessionSpec(port, 1500, false));
  const full = await mirrorRun('mirror all, 1500 bytes', path, sessionSpec(port, 1500, true));
  const cut = await mirrorRun('mirror all, cut to 128', path, sessionSpec(port, 128, true));
  const sink = await stopSink(child);

  console.log(`\n## mirror (first ${PACKETS} packets of ${path})`);
  console.log('| run | seconds | packets/s | VXLAN payload | mirrored | time vs read graph |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| tcpdump -r -c N -w /dev/null | ${tcpdump.seconds.toFixed(2)} | ${(PACKETS / tcpdump.seconds / 1e3).toFixed(0)} kpps | | | ${ratio(tcpdump.seconds, read.seconds)} |`,
  );
  for (const run of [read, none, full, cut]) console.log(row(run, read));
  for (const run of [none, full, cut]) console.log(nodeCosts(run));
  const sent = (full.counters?.mirrored ?? 0) + (cut.counters?.mirrored ?? 0);
  console.log(
    `sink received ${sink.n} of ${sent} datagrams (${(sink.bytes / 1e6).toFixed(0)} MB); loopback UDP drops when the sink falls behind`,
  );
  console.log(
    `mirroring overhead on capture: ${ratio(full.seconds, read.seconds)} (all, full frames), ${ratio(none.seconds, read.seconds)} (nothing collected)`,
  );
}
