/**
 * What dissectors keep (bodies, heads, requests waiting for answers) counts against the flow
 * table's maxBufferedBytes together with the reassemblers' out-of-order segments, so many
 * streams that each keep a bounded amount can not add up without bound; and the flows still
 * open at the end of the input are flushed as fast as the output takes their entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { EntryDraft } from '../../src/dissect/entry.js';
import { IPPROTO_TCP } from '../../src/flow/flow-table.js';
import { createCaptureWriter } from '../../src/pcap/index.js';
import { runEntriesPipeline } from '../../src/pipeline/entries-run.js';
import { FlowPlane } from '../../src/pipeline/flow-plane.js';

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;
const SERVER = Uint8Array.of(10, 255, 0, 1);
const MSS = 1460;

interface Segment {
  client: Uint8Array;
  fromClient: boolean;
  flags: number;
  seq: number;
  ack: number;
  payload: Uint8Array;
}

/** Connection `i` uploads `bodyBytes` with a known length and never gets an answer. */
function* upload(i: number, bodyBytes: number): Generator<Segment> {
  const client = Uint8Array.of(10, 0, i >> 8, i & 0xff);
  const none = new Uint8Array(0);
  const head = Buffer.from(
    `POST /upload/${i} HTTP/1.1\r\nHost: store\r\nContent-Length: ${bodyBytes}\r\n\r\n`,
  );
  yield { client, fromClient: true, flags: SYN, seq: 1000, ack: 0, payload: none };
  yield { client, fromClient: false, flags: SYN | ACK, seq: 5000, ack: 1001, payload: none };
  let seq = 1001;
  yield { client, fromClient: true, flags: PSH_ACK, seq, ack: 5001, payload: head };
  seq += head.length;
  for (let sent = 0; sent < bodyBytes; sent += MSS) {
    const piece = new Uint8Array(Math.min(MSS, bodyBytes - sent)).fill(0x61 + (i % 26));
    yield { client, fromClient: true, flags: PSH_ACK, seq, ack: 5001, payload: piece };
    seq += piece.length;
  }
}

/** One segment through the plane as the flow nodes take it: lookup, reassembly, dissection. */
function send(plane: FlowPlane, s: Segment, tsUs: number): void {
  const [src, sport, dst, dport] = s.fromClient
    ? [s.client, 40000, SERVER, 80]
    : [SERVER, 80, s.client, 40000];
  const r = plane.table.lookup(4, src, sport, dst, dport, IPPROTO_TCP, tsUs, s.flags);
  const session = r.created || !r.flow.value ? plane.open(r.flow, 'tcp') : r.flow.value;
  session.tcp?.segment(r.dir, s.seq, s.ack, s.flags, s.payload, tsUs);
  plane.dissect(session);
  plane.flushEnded();
}

/** The segment as an Ethernet/IPv4/TCP frame (checksums left zero: nothing here checks them). */
function frame(s: Segment): Uint8Array {
  const f = new Uint8Array(54 + s.payload.length);
  const view = new DataView(f.buffer);
  const [src, dst] = s.fromClient ? [s.client, SERVER] : [SERVER, s.client];
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0], 14);
  view.setUint16(16, 40 + s.payload.length);
  f.set(src, 26);
  f.set(dst, 30);
  view.setUint16(34, s.fromClient ? 40000 : 80);
  view.setUint16(36, s.fromClient ? 80 : 40000);
  view.setUint32(38, s.seq);
  view.setUint32(42, s.ack);
  f[46] = 0x50;
  f[47] = s.flags;
  view.setUint16(48, 65535);
  f.set(s.payload, 54);
  return f;
}

test('unanswered uploads kept by the HTTP/1 dissector are evicted oldest first once all flows keep more than maxBufferedBytes', () => {
  const limit = 1 << 20;
  const entries: EntryDraft[] = [];
  const plane = new FlowPlane({ table: { maxBufferedBytes: limit }, onEntry: (e) => entries.push(e) });
  const body = 64 << 10;
  let ts = 1_000_000;
  for (let i = 0; i < 64; i++) for (const s of upload(i, body)) send(plane, s, ts++); // 4 MiB, none answered
  const { stats } = plane.table;
  // Each flow keeps its head and its 64 KiB body; the table ends the oldest as the total passes 1 MiB.
  assert.ok(stats.evictedForMemory >= 64 - limit / body, `evicted ${stats.evictedForMemory}`);
  // A flow is ended at the lookup after the packet that crossed the limit: one segment over at most.
  assert.ok(stats.peakBufferedBytes <= limit + MSS, `peak ${stats.peakBufferedBytes}`);
  assert.ok(stats.peakBufferedBytes > limit - body, `peak ${stats.peakBufferedBytes}`);
  // The evicted ones come out first, in the order they were evicted (the oldest uploads).
  const paths = entries.map((e) => (e.request as { path: string }).path);
  assert.deepEqual(
    paths,
    Array.from({ length: entries.length }, (_, i) => `/upload/${i}`),
  );
  plane.finish();
  assert.equal(entries.length, 64);
  assert.equal(plane.table.bufferedBytes, 0);
  for (const e of entries) {
    assert.ok(e.flags.includes('no_response'));
    assert.equal((e.request as { body: { size: number } }).body.size, body);
  }
});

test('the flows open at the end of the input come out as fast as a slow output takes their entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-kept-'));
  try {
    const capture = join(dir, 'uploads.pcap');
    const writer = createCaptureWriter(capture, { format: 'pcap' });
    let us = 1_700_000_000_000_000;
    for (let i = 0; i < 100; i++) {
      for (const s of upload(i, 32 << 10)) {
        const data = frame(s);
        us += 10;
        writer.write({
          data,
          origLen: data.length,
          tsSec: Math.floor(us / 1e6),
          tsNsec: (us % 1e6) * 1000,
          linkType: 1,
          interfaceId: 0,
        });
      }
    }
    await writer.close();
    // An output that takes one write per turn of the event loop, and notes the most it held.
    let mostQueued = 0;
    let bytes = 0;
    const slow = new Writable({
      highWaterMark: 16 << 10,
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        setImmediate(done);
      },
    });
    const origWrite = slow.write.bind(slow);
    slow.write = ((chunk: string, ...rest: never[]) => {
      const ok = origWrite(chunk, ...rest);
      mostQueued = Math.max(mostQueued, slow.writableLength);
      return ok;
    }) as typeof slow.write;
    const result = await runEntriesPipeline({
      source: capture,
      format: 'jsonl',
      traces: [],
      stats: false,
      stdout: slow,
    });
    assert.equal(result.entries, 100);
    // All 100 uploads are still open at the end: ~4.4 MB of entries, each with its 32 KiB body as text.
    assert.ok(bytes > 100 * (32 << 10), `wrote ${bytes}`);
    // Flushed one flow at a time with the output drained in between, never more than a few entries wait.
    assert.ok(mostQueued < 256 << 10, `${mostQueued} bytes waited in the output`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
