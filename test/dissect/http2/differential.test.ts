import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { createUpgradedHttp2, http2Dissector } from '../../../src/dissect/http2/index.js';
import { corpusPcap } from '../../helpers/corpus.js';
import { collectingContext, feed, followTcpStreams, type FollowChunk } from './support.js';
import { tsharkHttp2, type TsharkH2Stream } from './tshark-h2.js';

/**
 * MANIFEST rows 8-17: the corpus' HTTP/2 and gRPC captures, with the port tshark must be told
 * to decode as HTTP/2 (prior knowledge on a non-standard port). Upgrades (9, 12) and port 80
 * (11) tshark finds by itself; telling it 8080 for file 12 would hide its HTTP/1.1 upgrades.
 */
const FILES: Array<[string, number[]]> = [
  ['suricata-verify__http2-keywords__input.pcap', [3000]],
  ['suricata-verify__http2-keywords2__input.pcap', []],
  ['suricata-verify__http2-continuation__input.pcap', [8080]],
  ['suricata-verify__bug-5929-02__http2_multiple_headers.pcap', []],
  ['suricata-verify__http2-range.pcap', []],
  ['ndpi__http2.pcapng', [29518]],
  ['packt-grpc__Unary.pcapng', [50051]],
  ['packt-grpc__Server_Streaming.pcapng', [50051]],
  ['packt-grpc__Client_Streaming.pcapng', [50051]],
  ['packt-grpc__Bidi_Streaming.pcapng', [50051]],
];

const UPGRADE_STATUS = Buffer.from('HTTP/1.1 101');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits an HTTP/1.1 h2c upgrade (files 9 and 12) at the end of the request and of the 101
 * response, as the HTTP/1 dissector does before calling createUpgradedHttp2. The upgrade
 * requests in the corpus are GETs without a body.
 */
function afterUpgrade(chunks: FollowChunk[]): FollowChunk[] {
  const out: FollowChunk[] = [];
  const skip: [number, number] = [-1, -1];
  for (const dir of [0, 1] as const) {
    const all = Buffer.concat(chunks.filter((c) => c.dir === dir).map((c) => c.bytes));
    skip[dir] = all.indexOf(HEADER_END) + HEADER_END.length;
  }
  for (const c of chunks) {
    const drop = Math.min(skip[c.dir], c.bytes.length);
    skip[c.dir] -= drop;
    if (drop < c.bytes.length) out.push({ dir: c.dir, bytes: c.bytes.subarray(drop) });
  }
  return out;
}

function isUpgrade(chunks: FollowChunk[]): boolean {
  const server = Buffer.concat(chunks.filter((c) => c.dir === 1).map((c) => c.bytes));
  return server.subarray(0, UPGRADE_STATUS.length).equals(UPGRADE_STATUS);
}

function dissectTcpStream(chunks: FollowChunk[]): EntryDraft[] {
  const c = collectingContext();
  if (isUpgrade(chunks)) {
    const request = { method: 'GET', path: '(upgraded HTTP/1.1 request)' };
    feed(c, createUpgradedHttp2(c.ctx, { request, timestampUs: 0, requestSize: 0 }), afterUpgrade(chunks));
  } else {
    feed(c, http2Dissector.create(c.ctx), chunks);
  }
  return c.entries;
}

/** Re-chunks a stream: each chunk cut at the given relative positions. Timestamps follow chunk order. */
function resplit(chunks: FollowChunk[], cutsFor: (length: number) => number[]): FollowChunk[] {
  const out: FollowChunk[] = [];
  for (const c of chunks) {
    let from = 0;
    for (const cut of [...cutsFor(c.bytes.length), c.bytes.length]) {
      if (cut > from) out.push({ dir: c.dir, bytes: c.bytes.subarray(from, cut) });
      from = Math.max(from, cut);
    }
  }
  return out;
}

/** Entries without timing, which depends on how bytes are chunked. */
function untimed(entries: EntryDraft[]): unknown[] {
  return entries.map((e) => ({ ...e, timestampUs: 0, elapsedUs: 0 }));
}

/** Deterministic PRNG (mulberry32) so random splits are reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Small streams: one cut at every offset of every chunk; large ones: 8 random multi-cut splits. */
function checkSplits(chunks: FollowChunk[], whole: EntryDraft[]): number {
  const total = chunks.reduce((n, c) => n + c.bytes.length, 0);
  const expected = untimed(whole);
  let runs = 0;
  if (total <= 8192) {
    for (let i = 0; i < chunks.length; i++) {
      for (let cut = 1; cut < chunks[i].bytes.length; cut++) {
        const split = resplit(chunks, (len) => (len === chunks[i].bytes.length ? [cut] : []));
        assert.deepEqual(untimed(dissectTcpStream(split)), expected, `chunk ${i} cut at ${cut}`);
        runs++;
      }
    }
    return runs;
  }
  const random = prng(total);
  for (let run = 0; run < 8; run++) {
    const split = resplit(chunks, (len) =>
      Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * len)).sort(
        (a, b) => a - b,
      ),
    );
    assert.deepEqual(untimed(dissectTcpStream(split)), expected, `random split ${run}`);
    runs++;
  }
  return runs;
}

interface Tally {
  compared: number;
  agreed: number;
}

function compare(expected: TsharkH2Stream, entry: EntryDraft | undefined, tally: Tally, where: string): void {
  tally.compared++;
  assert.ok(entry, `${where}: no entry`);
  const req = entry.request ?? {};
  const res = entry.response ?? {};
  const grpc = expected.contentType?.startsWith('application/grpc') === true;
  assert.equal(entry.protocol, grpc ? 'grpc' : 'http2', `${where}: protocol`);
  if (expected.method !== undefined)
    assert.equal(grpc ? req.httpMethod : req.method, expected.method, `${where}: method`);
  if (expected.path !== undefined) assert.equal(req.path, expected.path, `${where}: path`);
  if (expected.status !== undefined) assert.equal(res.status, Number(expected.status), `${where}: status`);
  if (expected.grpcStatus !== undefined)
    assert.equal(res.grpcStatus, Number(expected.grpcStatus), `${where}: grpc-status`);
  tally.agreed++;
}

const totals = { http2: { compared: 0, agreed: 0 }, grpc: { compared: 0, agreed: 0 } };

for (const [file, ports] of FILES) {
  test(`tshark agrees on method/path/status per HTTP/2 stream: ${file}`, () => {
    const expected = tsharkHttp2(corpusPcap(file), ports);
    assert.ok(expected.length > 0, 'tshark found HTTP/2 headers');
    const tcpStreams = [...new Set(expected.map((s) => s.tcpStream))];
    const byTcp = new Map<number, EntryDraft[]>();
    const followed = followTcpStreams(corpusPcap(file), tcpStreams);
    for (const [n, chunks] of followed) byTcp.set(n, dissectTcpStream(chunks));
    for (const s of expected) {
      const entry = byTcp.get(s.tcpStream)?.find((e) => (e.request?.h2Stream ?? 1) === s.h2Stream);
      const grpc = s.contentType?.startsWith('application/grpc') === true;
      compare(s, entry, grpc ? totals.grpc : totals.http2, `${file} tcp ${s.tcpStream} h2 ${s.h2Stream}`);
    }
    // Every entry we produce is one tshark knows, and none is flagged undecodable (all captures start at the preface).
    for (const [tcp, entries] of byTcp) {
      for (const e of entries) {
        const id = (e.request?.h2Stream as number | undefined) ?? 1;
        assert.ok(
          expected.some((s) => s.tcpStream === tcp && s.h2Stream === id),
          `entry for h2 stream ${id} unknown to tshark`,
        );
        assert.ok(!e.flags.includes('header_block_undecodable'), `h2 stream ${id} undecodable`);
      }
    }
    // Splitting the same bytes differently never changes the entries.
    for (const [n, chunks] of followed) checkSplits(chunks, byTcp.get(n) ?? []);
  });
}

test('agreement summary (every compared stream agreed; no exceptions)', (t) => {
  t.diagnostic(
    `http2 streams ${totals.http2.agreed}/${totals.http2.compared}, grpc calls ${totals.grpc.agreed}/${totals.grpc.compared}`,
  );
  assert.ok(totals.http2.compared >= 10 && totals.grpc.compared >= 4);
  assert.equal(totals.http2.agreed, totals.http2.compared);
  assert.equal(totals.grpc.agreed, totals.grpc.compared);
});
