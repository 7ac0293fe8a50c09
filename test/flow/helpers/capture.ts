import { readFileSync } from 'node:fs';
import { readCaptureBuffer } from '../../../src/pcap/buffer-reader.js';
import { decodePacket, type Layer } from '../../../src/decode/index.js';
import type { Ipv6Layer } from '../../../src/decode/ipv6.js';
import type { TcpLayer } from '../../../src/decode/tcp.js';
import type { UdpLayer } from '../../../src/decode/udp.js';
import { formatIpv6 } from '../../../src/decode/format.js';
import { StreamAssembler, type StreamAssemblerOptions } from '../../../src/flow/stream-assembler.js';
import type { Flow } from '../../../src/flow/flow-table.js';
import type { StreamState } from '../../../src/flow/stream-assembler.js';
import { runTool } from '../../helpers/tools.js';
import { RecordingSink } from './recording-sink.js';

/** One TCP or UDP packet of a capture, with the fields the flow layer takes. */
export interface CapturedSegment {
  frame: number;
  ipVersion: 4 | 6;
  src: Uint8Array;
  srcPort: number;
  dst: Uint8Array;
  dstPort: number;
  proto: 6 | 17;
  seq: number;
  ack: number;
  flags: number;
  payload: Uint8Array;
  tsUs: number;
}

/** The TCP/UDP packets of a capture file, decoded by the project's reader and decoders. */
export function readSegments(path: string): CapturedSegment[] {
  const { records } = readCaptureBuffer(readFileSync(path));
  const out: CapturedSegment[] = [];
  records.forEach((rec, i) => {
    const layers = decodePacket(rec.data, rec.linkType);
    const seg = toSegment(rec.data, layers, i + 1, rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000));
    if (seg !== null) out.push(seg);
  });
  return out;
}

function toSegment(data: Uint8Array, layers: Layer[], frame: number, tsUs: number): CapturedSegment | null {
  // The innermost transport layer: a tunnel (VXLAN over UDP) carries the stream we want.
  const l4 = layers.findLastIndex((l) => l.kind === 'tcp' || l.kind === 'udp');
  if (l4 < 1 || layers[l4].truncated) return null;
  const ip = layers[l4 - 1];
  let ipVersion: 4 | 6;
  let src: Uint8Array;
  let dst: Uint8Array;
  if (ip.kind === 'ipv4') {
    ipVersion = 4;
    src = data.subarray(ip.offset + 12, ip.offset + 16);
    dst = data.subarray(ip.offset + 16, ip.offset + 20);
  } else {
    const v6 = layers
      .slice(0, l4)
      .reverse()
      .find((l) => l.kind === 'ipv6') as Ipv6Layer | undefined;
    if (v6 === undefined) return null;
    ipVersion = 6;
    src = data.subarray(v6.srcOffset, v6.srcOffset + 16);
    dst = data.subarray(v6.dstOffset, v6.dstOffset + 16);
  }
  const l = layers[l4] as TcpLayer | UdpLayer;
  const tcp = l.kind === 'tcp' ? (l as TcpLayer) : null;
  return {
    frame,
    ipVersion,
    src,
    srcPort: l.srcPort,
    dst,
    dstPort: l.dstPort,
    proto: tcp ? 6 : 17,
    seq: tcp?.seq ?? 0,
    ack: tcp?.ack ?? 0,
    flags: tcp?.flags ?? 0,
    payload: data.subarray(l.payloadOffset, l.payloadEnd),
    tsUs,
  };
}

export interface AssembledFlow {
  flow: Flow<StreamState>;
  sink: RecordingSink;
}

/** Feeds segments through a StreamAssembler; returns every flow with what its sink got, by flow id. */
export function assemble(
  segments: Iterable<CapturedSegment>,
  options: StreamAssemblerOptions = {},
): Map<number, AssembledFlow> {
  const flows = new Map<number, AssembledFlow>();
  const asm = new StreamAssembler((flow) => {
    const sink = new RecordingSink();
    flows.set(flow.id, { flow, sink });
    return sink;
  }, options);
  for (const s of segments) {
    if (s.proto === 6)
      asm.tcp(s.ipVersion, s.src, s.srcPort, s.dst, s.dstPort, s.seq, s.ack, s.flags, s.payload, s.tsUs);
    else asm.udp(s.ipVersion, s.src, s.srcPort, s.dst, s.dstPort, s.payload, s.tsUs);
  }
  asm.finish();
  return flows;
}

export function endpointText(ipVersion: 4 | 6, addr: Uint8Array, port: number): string {
  return ipVersion === 4 ? `${addr.join('.')}:${port}` : `[${formatIpv6(addr, 0)}]:${port}`;
}

export interface FollowedStream {
  /** "ip:port" of tshark's node 0 and node 1 (":0" when tshark has no such stream). */
  nodes: [string, string];
  bytes: [Buffer, Buffer];
}

/**
 * tshark's own reassembly (`-z follow,tcp,raw,N`) of TCP streams 0..count-1, both directions,
 * in one tshark run (tshark's start-up dominates the cost).
 */
export function tsharkFollowAll(path: string, count: number): FollowedStream[] {
  const args = ['-r', path, '-q'];
  for (let i = 0; i < count; i++) args.push('-z', `follow,tcp,raw,${i}`);
  const streams: FollowedStream[] = [];
  let current: FollowedStream | null = null;
  let parts: [Buffer[], Buffer[]] = [[], []];
  const flush = (): void => {
    if (current !== null) current.bytes = [Buffer.concat(parts[0]), Buffer.concat(parts[1])];
  };
  for (const line of runTool('tshark', args).split('\n')) {
    const filter = /^Filter: tcp\.stream eq (\d+)$/.exec(line);
    if (filter) {
      flush();
      current = { nodes: ['', ''], bytes: [Buffer.alloc(0), Buffer.alloc(0)] };
      streams[Number(filter[1])] = current;
      parts = [[], []];
      continue;
    }
    const node = /^Node ([01]): (.*)$/.exec(line);
    if (node && current !== null) current.nodes[Number(node[1])] = node[2];
    else if (current !== null && /^\t?[0-9a-f]+$/.test(line))
      parts[line.startsWith('\t') ? 1 : 0].push(Buffer.from(line.trim(), 'hex'));
  }
  flush();
  return streams;
}
