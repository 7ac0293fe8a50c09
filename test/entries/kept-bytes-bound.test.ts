/**
 * What dissectors keep (bodies, heads, requests waiting for answers) counts against the flow
 * table's maxBufferedBytes together with the reassemblers' out-of-order segments, so many
 * streams that each keep a bounded amount can not add up without bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntryDraft } from '../../src/dissect/entry.js';
import { IPPROTO_TCP } from '../../src/flow/flow-table.js';
import { FlowPlane } from '../../src/pipeline/flow-plane.js';

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;
const SERVER = Uint8Array.of(10, 255, 0, 1);
const MSS = 1460;

/** One packet through the plane as the flow nodes take it: lookup, reassembly, dissection. */
function send(
  plane: FlowPlane,
  client: Uint8Array,
  fromClient: boolean,
  flags: number,
  seq: number,
  ack: number,
  payload: Uint8Array,
  tsUs: number,
): void {
  const [src, sport, dst, dport] = fromClient ? [client, 40000, SERVER, 80] : [SERVER, 80, client, 40000];
  const r = plane.table.lookup(4, src, sport, dst, dport, IPPROTO_TCP, tsUs, flags);
  const session = r.created || !r.flow.value ? plane.open(r.flow, 'tcp') : r.flow.value;
  session.tcp?.segment(r.dir, seq, ack, flags, payload, tsUs);
  plane.dissect(session);
  plane.flushEnded();
}

/** A connection that uploads `bodyBytes` with a known length and never gets an answer. */
function upload(plane: FlowPlane, i: number, bodyBytes: number, tsUs: number): number {
  const client = Uint8Array.of(10, 0, i >> 8, i & 0xff);
  const head = Buffer.from(
    `POST /upload/${i} HTTP/1.1\r\nHost: store\r\nContent-Length: ${bodyBytes}\r\n\r\n`,
  );
  send(plane, client, true, SYN, 1000, 0, new Uint8Array(0), tsUs++);
  send(plane, client, false, SYN | ACK, 5000, 1001, new Uint8Array(0), tsUs++);
  let seq = 1001;
  send(plane, client, true, PSH_ACK, seq, 5001, head, tsUs++);
  seq += head.length;
  for (let sent = 0; sent < bodyBytes; sent += MSS) {
    const piece = new Uint8Array(Math.min(MSS, bodyBytes - sent)).fill(0x61 + (i % 26));
    send(plane, client, true, PSH_ACK, seq, 5001, piece, tsUs++);
    seq += piece.length;
  }
  return tsUs;
}

test('unanswered uploads kept by the HTTP/1 dissector are evicted oldest first once all flows keep more than maxBufferedBytes', () => {
  const limit = 1 << 20;
  const entries: EntryDraft[] = [];
  const plane = new FlowPlane({ table: { maxBufferedBytes: limit }, onEntry: (e) => entries.push(e) });
  const body = 64 << 10;
  let ts = 1_000_000;
  for (let i = 0; i < 64; i++) ts = upload(plane, i, body, ts); // 4 MiB of bodies, none answered
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
