import type { EntryDraft } from '../../../src/dissect/entry.js';
import {
  DEFAULT_DISSECT_LIMITS,
  type Direction,
  type DissectLimits,
  type StreamContext,
  type StreamDissector,
} from '../../../src/dissect/types.js';
import { runTool } from '../../helpers/tools.js';
import { HoldLedger } from '../hold-ledger.js';

/** One chunk of `tshark -z follow,tcp,raw`: which side sent it and its bytes. */
export interface FollowChunk {
  dir: Direction;
  bytes: Uint8Array;
}

/**
 * Reassembled TCP streams of a capture, in tshark's chunk order (server chunks are
 * tab-indented), from one tshark run: its start-up dominates the cost.
 */
export function followTcpStreams(file: string, streams: readonly number[]): Map<number, FollowChunk[]> {
  const args = ['-r', file, '-q'];
  for (const n of streams) args.push('-z', `follow,tcp,raw,${n}`);
  const result = new Map<number, FollowChunk[]>();
  let current: FollowChunk[] = [];
  for (const line of runTool('tshark', args).split('\n')) {
    if (line.startsWith('Filter: tcp.stream eq ')) {
      current = [];
      result.set(Number(line.slice('Filter: tcp.stream eq '.length)), current);
      continue;
    }
    const hex = line.trim();
    if (hex === '' || !/^[0-9a-f]+$/.test(hex)) continue;
    current.push({ dir: line.startsWith('\t') ? 1 : 0, bytes: new Uint8Array(Buffer.from(hex, 'hex')) });
  }
  return result;
}

export function followTcp(file: string, n: number): FollowChunk[] {
  return followTcpStreams(file, [n]).get(n) ?? [];
}

export interface Collected {
  ctx: StreamContext;
  entries: EntryDraft[];
  anomalies: string[];
  ledger: HoldLedger;
}

export function collectingContext(limits: Partial<DissectLimits> = {}): Collected {
  const entries: EntryDraft[] = [];
  const anomalies: string[] = [];
  const ledger = new HoldLedger();
  const ctx: StreamContext = {
    streamId: 7,
    transport: 'tcp',
    client: { ip: '10.0.0.1', port: 40000 },
    server: { ip: '10.0.0.2', port: 80 },
    clientPort: 40000,
    serverPort: 80,
    limits: { ...DEFAULT_DISSECT_LIMITS, ...limits },
    emit: (e) => entries.push(e),
    anomaly: (a) => anomalies.push(a),
    hold: ledger.hold,
  };
  return { ctx, entries, anomalies, ledger };
}

/**
 * Feeds chunks (timestamps 1 µs apart) to a dissector made on `c`'s context and ends the
 * stream; what the dissector declared it keeps must balance, the two HPACK tables (bounded
 * by the header limit, not by the input) aside.
 */
export function feed(c: Collected, d: StreamDissector, chunks: readonly FollowChunk[]): void {
  let ts = 1_000_000;
  let fed = 0;
  for (const chunk of chunks) {
    d.data(chunk.dir, chunk.bytes, ts++);
    fed += chunk.bytes.length;
  }
  d.end(ts);
  c.ledger.assertBalanced(fed, c.ctx.limits.maxPendingExchanges, 2 * c.ctx.limits.maxHeaderBytes);
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** An HTTP/2 frame (RFC 7540 §4.1) built by hand for tests. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array | string = '',
): Uint8Array {
  const body = typeof payload === 'string' ? hex(payload) : payload;
  const out = new Uint8Array(9 + body.length);
  out[0] = body.length >>> 16;
  out[1] = (body.length >>> 8) & 0xff;
  out[2] = body.length & 0xff;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, streamId);
  out.set(body, 9);
  return out;
}

/** HPACK "literal header field without indexing, new name" (RFC 7541 §6.2.2), raw strings shorter than 127 bytes. */
export function literal(name: string, value: string): Uint8Array {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return new Uint8Array(Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export const PREFACE = new Uint8Array(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
