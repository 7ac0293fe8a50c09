import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32 } from './bytes.js';
import { hex } from './format.js';

/**
 * SCTP (RFC 9260): the common header and a walk over the chunks. The first DATA chunk's
 * user data is this layer's payload (TSN, stream id, stream sequence and PPID are fields),
 * handed on through the 'sctpport' registry; every chunk is listed by `sctpChunks`, which
 * walks the packet again so that decoding itself allocates nothing per chunk.
 */
export class SctpLayer extends BaseLayer {
  readonly kind = 'sctp';
  srcPort = 0;
  dstPort = 0;
  verificationTag = 0;
  checksum = 0;
  chunkCount = 0;
  /** Offset of the first DATA chunk header, or -1 when the packet has none. */
  dataChunkOffset = -1;
  dataTsn = 0;
  dataStreamId = 0;
  dataStreamSeq = 0;
  dataPpid = 0;
}

export interface SctpChunk {
  type: number;
  flags: number;
  length: number;
  offset: number;
}

const COMMON_HEADER = 12;
const CHUNK_HEADER = 4;
const DATA_HEADER = 16;
const CHUNK_DATA = 0;
/** Bound on the chunk walk: a 64 KiB packet holds at most this many 4-byte chunks. */
const MAX_CHUNKS = 16384;

export function decodeSctp(data: Uint8Array, offset: number, end: number, base = 0): SctpLayer {
  const layer = new SctpLayer(offset, end);
  const available = end - offset;
  if (available < COMMON_HEADER) return layer.cut(available, end);
  const at = base + offset;
  layer.srcPort = u16(data, at);
  layer.dstPort = u16(data, at + 2);
  layer.verificationTag = u32(data, at + 4);
  layer.checksum = u32(data, at + 8);
  layer.headerLength = COMMON_HEADER;
  walkChunks(layer, data, end, base);
  if (layer.dataChunkOffset >= 0) readDataChunk(layer, data, end, base);
  return layer;
}

function walkChunks(layer: SctpLayer, data: Uint8Array, end: number, base: number): void {
  let at = layer.offset + COMMON_HEADER;
  while (at < end && layer.chunkCount < MAX_CHUNKS) {
    if (end - at < CHUNK_HEADER) {
      layer.truncated = true;
      return;
    }
    const length = u16(data, base + at + 2);
    if (length < CHUNK_HEADER) {
      layer.anomaly = 'sctp.bad_chunk_length';
      return;
    }
    layer.chunkCount++;
    if (data[base + at] === CHUNK_DATA && layer.dataChunkOffset < 0) layer.dataChunkOffset = at;
    at += (length + 3) & ~3;
  }
  if (at > end + 3) layer.truncated = true;
}

function readDataChunk(layer: SctpLayer, data: Uint8Array, end: number, base: number): void {
  const at = layer.dataChunkOffset;
  if (end - at < DATA_HEADER) {
    layer.truncated = true;
    return;
  }
  const chunkEnd = at + u16(data, base + at + 2);
  layer.dataTsn = u32(data, base + at + 4);
  layer.dataStreamId = u16(data, base + at + 8);
  layer.dataStreamSeq = u16(data, base + at + 10);
  layer.dataPpid = u32(data, base + at + 12);
  if (chunkEnd < at + DATA_HEADER) {
    layer.anomaly = 'sctp.bad_chunk_length';
    return;
  }
  layer.payloadOffset = at + DATA_HEADER;
  layer.payloadEnd = chunkEnd < end ? chunkEnd : end;
  if (layer.payloadEnd > layer.payloadOffset)
    layer.next = nextLayer(REGISTRIES.sctpport, layer.dstPort, layer.srcPort);
}

/** Every chunk header of the packet, in order (bounded like the decode walk). */
export function sctpChunks(layer: SctpLayer, data: Uint8Array): SctpChunk[] {
  const chunks: SctpChunk[] = [];
  const end = Math.min(data.length, layer.offset + COMMON_HEADER + 4 * MAX_CHUNKS + 4);
  let at = layer.offset + COMMON_HEADER;
  while (chunks.length < layer.chunkCount && end - at >= CHUNK_HEADER) {
    const length = u16(data, at + 2);
    chunks.push({ type: data[at], flags: data[at + 1], length, offset: at });
    at += (length + 3) & ~3;
  }
  return chunks;
}

const CHUNK_NAMES = [
  'DATA',
  'INIT',
  'INIT_ACK',
  'SACK',
  'HEARTBEAT',
  'HEARTBEAT_ACK',
  'ABORT',
  'SHUTDOWN',
  'SHUTDOWN_ACK',
  'ERROR',
  'COOKIE_ECHO',
  'COOKIE_ACK',
  'ECNE',
  'CWR',
  'SHUTDOWN_COMPLETE',
];

export function sctpChunkName(type: number): string {
  return CHUNK_NAMES[type] ?? `chunk-${type}`;
}

export function sctpTraceLines(layer: SctpLayer, data: Uint8Array): string[] {
  if (layer.headerLength < COMMON_HEADER) return ['SCTP: truncated'];
  const lines = [
    `SCTP: ${layer.srcPort} -> ${layer.dstPort}`,
    `verification tag ${hex(layer.verificationTag, 8)}, checksum ${hex(layer.checksum, 8)}`,
    `chunks: ${sctpChunks(layer, data)
      .map((c) => `${sctpChunkName(c.type)}(${c.length})`)
      .join(' ')}`,
  ];
  if (layer.dataChunkOffset >= 0) {
    lines.push(
      `DATA tsn ${layer.dataTsn}, stream ${layer.dataStreamId}, ssn ${layer.dataStreamSeq}, ppid ${layer.dataPpid}`,
    );
  }
  if (layer.anomaly) lines.push(`anomaly ${layer.anomaly}`);
  if (layer.truncated) lines.push('truncated');
  return lines;
}

export function sctpToJson(layer: SctpLayer, data: Uint8Array): Record<string, unknown> {
  if (layer.headerLength < COMMON_HEADER) return {};
  const base = {
    srcPort: layer.srcPort,
    dstPort: layer.dstPort,
    verificationTag: layer.verificationTag,
    checksum: hex(layer.checksum, 8),
    chunks: sctpChunks(layer, data).map((c) => ({
      type: sctpChunkName(c.type),
      flags: c.flags,
      length: c.length,
    })),
  };
  if (layer.dataChunkOffset < 0) return base;
  return {
    ...base,
    data: {
      tsn: layer.dataTsn,
      streamId: layer.dataStreamId,
      streamSeq: layer.dataStreamSeq,
      ppid: layer.dataPpid,
    },
  };
}
