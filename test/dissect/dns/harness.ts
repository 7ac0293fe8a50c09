/**
 * Shared by the http1, dns and diameter dissector tests: a recording StreamContext, feeding
 * helpers (whole, split at offsets, randomly split) and the tshark extractors that give the
 * reference byte streams (`follow,tcp,raw`) and datagrams of corpus captures.
 */
import { runTool } from '../../helpers/tools.js';
import { HoldLedger } from '../hold-ledger.js';
import type { EntryDraft, Endpoint } from '../../../src/dissect/entry.js';
import {
  DEFAULT_DISSECT_LIMITS,
  type Direction,
  type DissectLimits,
  type DissectorFactory,
  type StreamContext,
} from '../../../src/dissect/types.js';

export interface Chunk {
  dir: Direction;
  bytes: Uint8Array;
  tsUs: number;
}

export interface Recorded {
  entries: EntryDraft[];
  anomalies: string[];
}

export interface ContextOptions {
  transport?: 'tcp' | 'udp' | 'sctp';
  client?: Endpoint;
  server?: Endpoint;
  limits?: Partial<DissectLimits>;
}

export function recordingContext(opts: ContextOptions = {}): {
  ctx: StreamContext;
  rec: Recorded;
  ledger: HoldLedger;
} {
  const rec: Recorded = { entries: [], anomalies: [] };
  const ledger = new HoldLedger();
  const client = opts.client ?? { ip: '10.0.0.1', port: 40000 };
  const server = opts.server ?? { ip: '10.0.0.2', port: 80 };
  const ctx: StreamContext = {
    streamId: 7,
    transport: opts.transport ?? 'tcp',
    client,
    server,
    clientPort: client.port,
    serverPort: server.port,
    limits: { ...DEFAULT_DISSECT_LIMITS, ...opts.limits },
    emit: (e) => rec.entries.push(e),
    anomaly: (n) => rec.anomalies.push(n),
    hold: ledger.hold,
  };
  return { ctx, rec, ledger };
}

/**
 * Feeds the chunks as given, then ends the stream. Each chunk is copied and the copy scribbled
 * over after the call, to catch dissectors that keep views; what the dissector declared it
 * keeps must balance (HoldLedger.assertBalanced).
 */
export function feed(factory: DissectorFactory, chunks: Chunk[], opts: ContextOptions = {}): Recorded {
  const { ctx, rec, ledger } = recordingContext(opts);
  const d = factory.create(ctx);
  let last = 0;
  let fed = 0;
  for (const c of chunks) {
    const copy = Uint8Array.from(c.bytes);
    d.data(c.dir, copy, c.tsUs);
    copy.fill(0xee);
    last = c.tsUs;
    fed += c.bytes.length;
  }
  d.end(last + 1);
  ledger.assertBalanced(fed, ctx.limits.maxPendingExchanges + 1);
  return rec;
}

/** Splits each chunk at the given absolute offsets of its direction's byte stream (TCP-like re-segmentation). */
export function resplit(chunks: Chunk[], cuts: (dir: Direction, length: number) => number[]): Chunk[] {
  const out: Chunk[] = [];
  for (const c of chunks) {
    let start = 0;
    for (const cut of [...cuts(c.dir, c.bytes.length), c.bytes.length]) {
      if (cut <= start || cut > c.bytes.length) continue;
      out.push({ dir: c.dir, bytes: c.bytes.subarray(start, cut), tsUs: c.tsUs });
      start = cut;
    }
  }
  return out;
}

/** Splits chunk `which` of the list into two at `at`. */
export function splitOne(chunks: Chunk[], which: number, at: number): Chunk[] {
  const c = chunks[which];
  const parts = [c.bytes.subarray(0, at), c.bytes.subarray(at)].map((bytes) => ({ ...c, bytes }));
  return [...chunks.slice(0, which), ...parts, ...chunks.slice(which + 1)];
}

/** Entries without the fields a split may legitimately change (none are expected to change, timestamps included). */
export function comparable(r: Recorded): string {
  return JSON.stringify(r.entries);
}

export interface FollowedStream {
  client: Endpoint;
  server: Endpoint;
  chunks: Chunk[];
}

/**
 * `tshark -z follow,tcp,raw,N` for several streams in one tshark run (tshark starts slowly):
 * node 0 lines are the client's, tab-indented lines the server's, in capture order.
 */
export function followTcp(
  file: string,
  streams: number[],
  extra: string[] = [],
): Map<number, FollowedStream> {
  const args = streams.flatMap((n) => ['-z', `follow,tcp,raw,${n}`]);
  const out = runTool('tshark', ['-r', file, ...extra, '-q', ...args]);
  const result = new Map<number, FollowedStream>();
  let current: FollowedStream | null = null;
  for (const line of out.split('\n')) {
    const filter = /^Filter: tcp.stream eq (\d+)$/.exec(line);
    const node = /^Node [01]: (.*):(\d+)$/.exec(line);
    if (filter) {
      current = { client: { ip: '', port: 0 }, server: { ip: '', port: 0 }, chunks: [] };
      result.set(Number(filter[1]), current);
    } else if (node && current) {
      const ep = { ip: node[1].replace(/^\[|\]$/g, ''), port: Number(node[2]) };
      if (line.startsWith('Node 0')) current.client = ep;
      else current.server = ep;
    } else if (current && /^\t?[0-9a-f]+$/.test(line)) {
      const dir: Direction = line.startsWith('\t') ? 1 : 0;
      current.chunks.push({
        dir,
        bytes: Buffer.from(line.trim(), 'hex'),
        tsUs: 1_000_000 + current.chunks.length,
      });
    }
  }
  return result;
}

/** The tcp.stream numbers of the frames a display filter selects. */
export function tcpStreams(file: string, filter: string, extra: string[] = []): number[] {
  const out = runTool('tshark', ['-r', file, ...extra, '-Y', filter, '-T', 'fields', '-e', 'tcp.stream']);
  return [...new Set(out.split('\n').filter(Boolean).map(Number))].sort((a, b) => a - b);
}

/** tshark's own dissection as JSON (`--no-duplicate-keys` turns repeated keys into arrays). */
export function tsharkJson(
  file: string,
  filter: string,
  extra: string[] = [],
): Array<Record<string, unknown>> {
  const out = runTool('tshark', ['-r', file, ...extra, '-Y', filter, '-T', 'json', '--no-duplicate-keys']);
  return (JSON.parse(out) as Array<{ _source: { layers: Record<string, unknown> } }>).map(
    (p) => p._source.layers,
  );
}

/** A field that tshark gives once as a value and several times as an array, always as an array. */
export function all<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
