import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32 } from './bytes.js';
import { formatHexBytes, hex } from './format.js';

/**
 * TCP header (RFC 9293) with its options parsed into plain fields while decoding (MSS,
 * window scale, SACK permitted, SACK blocks, timestamps): no option objects are created.
 * SACK blocks stay in the packet (`sackOffset`, `sackBlocks` pairs of 32-bit edges, read
 * with `tcpSackBlock`); options of other kinds are kept raw in the options range
 * [`optionsOffset`, `optionsOffset + optionsLength`). The next layer is looked up by
 * destination port, then source port, and only when the segment carries data.
 */
export class TcpLayer extends BaseLayer {
  readonly kind = 'tcp';
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** Header length in 32-bit words. */
  dataOffset = 0;
  /** The 9 flag bits: 0x100 NS (AE), 0x80 CWR, 0x40 ECE, 0x20 URG, 0x10 ACK, 0x08 PSH, 0x04 RST, 0x02 SYN, 0x01 FIN. */
  flags = 0;
  window = 0;
  checksum = 0;
  urgentPointer = 0;
  optionsOffset = 0;
  optionsLength = 0;
  /** -1 when absent. */
  mss = -1;
  /** -1 when absent. */
  windowScale = -1;
  sackPermitted = false;
  sackOffset = 0;
  sackBlocks = 0;
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;
  /** Options other than EOL, NOP and the ones above. */
  otherOptions = 0;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

const MIN_HEADER = 20;

export function decodeTcp(data: Uint8Array, offset: number, end: number, base = 0): TcpLayer {
  const layer = new TcpLayer(offset, end);
  const available = end - offset;
  if (available < MIN_HEADER) return layer.cut(available, end);
  const header = base + offset;
  layer.srcPort = u16(data, header);
  layer.dstPort = u16(data, header + 2);
  layer.seq = u32(data, header + 4);
  layer.ack = u32(data, header + 8);
  const word = u16(data, header + 12);
  layer.dataOffset = word >>> 12;
  layer.flags = word & 0x1ff;
  layer.window = u16(data, header + 14);
  layer.checksum = u16(data, header + 16);
  layer.urgentPointer = u16(data, header + 18);
  const headerLength = layer.dataOffset * 4;
  if (headerLength < MIN_HEADER) {
    layer.span(MIN_HEADER, end);
    layer.anomaly = 'tcp.bad_data_offset';
    return layer;
  }
  if (available < headerLength) return layer.cut(available, end);
  layer.optionsOffset = offset + MIN_HEADER;
  layer.optionsLength = headerLength - MIN_HEADER;
  // The options are walked here, not in a helper: the compiler inlines calls into decodeTcp
  // only up to a budget counted in the bytecode of what it inlines, and with the walk in a
  // helper readOption, run for most segments, stayed a call (~55 instructions a packet).
  const stop = offset + headerLength;
  for (let at = layer.optionsOffset; at < stop;) {
    const kind = data[base + at];
    if (kind === 0) break;
    if (kind === 1) {
      at++;
      continue;
    }
    const length = at + 1 < stop ? data[base + at + 1] : 0;
    if (length < 2 || at + length > stop) {
      layer.anomaly = 'tcp.bad_option_length';
      break;
    }
    readOption(layer, data, base, kind, at, length);
    at += length;
  }
  layer.span(headerLength, end);
  if (layer.payloadEnd > layer.payloadOffset)
    layer.next = nextLayer(REGISTRIES.tcpport, layer.dstPort, layer.srcPort);
  return layer;
}

/**
 * Timestamps, which most segments carry and nothing else, are read here and every other kind
 * in a call: reading them all here took the inlining budget decodeTcp needs for nextLayer
 * (which then stayed a call, ~18 instructions a packet over the benchmark capture).
 */
function readOption(
  layer: TcpLayer,
  data: Uint8Array,
  base: number,
  kind: number,
  at: number,
  length: number,
): void {
  if (kind === 8 && length === 10) {
    layer.hasTimestamps = true;
    layer.tsVal = u32(data, base + at + 2);
    layer.tsEcr = u32(data, base + at + 6);
  } else readOtherOption(layer, data, base, kind, at, length);
}

function readOtherOption(
  layer: TcpLayer,
  data: Uint8Array,
  base: number,
  kind: number,
  at: number,
  length: number,
): void {
  if (kind === 2 && length === 4) layer.mss = u16(data, base + at + 2);
  else if (kind === 3 && length === 3) layer.windowScale = data[base + at + 2];
  else if (kind === 4 && length === 2) layer.sackPermitted = true;
  else if (kind === 5 && (length - 2) % 8 === 0) {
    layer.sackOffset = at + 2;
    layer.sackBlocks = (length - 2) / 8;
  } else layer.otherOptions++;
}

/** Left and right edge of SACK block `index` (0-based, < sackBlocks). */
export function tcpSackBlock(layer: TcpLayer, data: Uint8Array, index: number): [number, number] {
  const at = layer.sackOffset + index * 8;
  return [u32(data, at), u32(data, at + 4)];
}

const FLAG_NAMES: [number, string][] = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
  [0x100, 'NS'],
];

export function tcpFlagNames(flags: number): string {
  return FLAG_NAMES.filter(([bit]) => flags & bit)
    .map(([, name]) => name)
    .join(' ');
}

/** tcpdump-style option list: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7". */
export function tcpOptionsText(layer: TcpLayer, data: Uint8Array): string {
  const parts: string[] = [];
  const stop = layer.optionsOffset + layer.optionsLength;
  for (let at = layer.optionsOffset; at < stop;) {
    const kind = data[at];
    const length = kind <= 1 ? 1 : at + 1 < stop ? data[at + 1] : 0;
    if (length < 1 || at + length > stop) {
      parts.push('bad opt');
      break;
    }
    parts.push(optionText(layer, data, kind, at, length));
    if (kind === 0) break;
    at += length;
  }
  return parts.join(',');
}

function optionText(layer: TcpLayer, data: Uint8Array, kind: number, at: number, length: number): string {
  if (kind === 0) return 'eol';
  if (kind === 1) return 'nop';
  if (kind === 2 && length === 4) return `mss ${u16(data, at + 2)}`;
  if (kind === 3 && length === 3) return `wscale ${data[at + 2]}`;
  if (kind === 4 && length === 2) return 'sackOK';
  if (kind === 5 && at + 2 === layer.sackOffset) return `sack ${layer.sackBlocks} ${sackText(layer, data)}`;
  if (kind === 8 && length === 10) return `TS val ${u32(data, at + 2)} ecr ${u32(data, at + 6)}`;
  return `opt-${kind}:${formatHexBytes(data, at + 2, at + length)}`;
}

function sackText(layer: TcpLayer, data: Uint8Array): string {
  const blocks: string[] = [];
  for (let i = 0; i < layer.sackBlocks; i++) {
    const [left, right] = tcpSackBlock(layer, data, i);
    blocks.push(`{${left}:${right}}`);
  }
  return blocks.join('');
}

export function tcpTraceLines(layer: TcpLayer, data: Uint8Array): string[] {
  if (layer.headerLength < MIN_HEADER) return [`TCP: truncated (${layer.headerLength} bytes)`];
  const lines = [
    `TCP: ${layer.srcPort} -> ${layer.dstPort}`,
    `seq. ${hex(layer.seq, 8)} ack ${hex(layer.ack, 8)}`,
    `flags ${hex(layer.flags, 2)} ${tcpFlagNames(layer.flags)}, tcp header: ${layer.dataOffset * 4} bytes`,
    `window ${layer.window}, checksum ${hex(layer.checksum, 4)}`,
  ];
  if (layer.optionsLength > 0) lines.push(`options: ${tcpOptionsText(layer, data)}`);
  if (layer.anomaly) lines.push(`anomaly ${layer.anomaly}`);
  if (layer.truncated) lines.push('truncated');
  return lines;
}

export function tcpToJson(layer: TcpLayer, data: Uint8Array): Record<string, unknown> {
  if (layer.headerLength < MIN_HEADER) return {};
  const sack: [number, number][] = [];
  for (let i = 0; i < layer.sackBlocks; i++) sack.push(tcpSackBlock(layer, data, i));
  return {
    srcPort: layer.srcPort,
    dstPort: layer.dstPort,
    seq: layer.seq,
    ack: layer.ack,
    flags: tcpFlagNames(layer.flags),
    dataOffset: layer.dataOffset,
    window: layer.window,
    checksum: hex(layer.checksum, 4),
    urgentPointer: layer.urgentPointer,
    mss: layer.mss < 0 ? null : layer.mss,
    windowScale: layer.windowScale < 0 ? null : layer.windowScale,
    sackPermitted: layer.sackPermitted,
    sack,
    timestamps: layer.hasTimestamps ? { val: layer.tsVal, ecr: layer.tsEcr } : null,
    options: layer.optionsLength > 0 ? tcpOptionsText(layer, data) : '',
    payloadLength: layer.payloadEnd - layer.payloadOffset,
  };
}
