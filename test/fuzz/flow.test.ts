import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamAssembler } from '../../src/flow/stream-assembler.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpReassembler } from '../../src/flow/tcp-reassembly.js';
import { RecordingSink } from '../flow/helpers/recording-sink.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const MAX_PAYLOAD = 600;

const packet = fc.record({
  client: fc.nat(5),
  fromServer: fc.boolean(),
  udp: fc.boolean(),
  seqBase: fc.constantFrom(0, 1000, 0xfffffe00),
  seqDelta: fc.integer({ min: -2000, max: 6000 }),
  ack: fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0, max: 8000 })),
  flags: fc.oneof(
    fc.constant(TCP_ACK),
    fc.nat(0xff),
    fc.constantFrom(TCP_SYN, TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST),
  ),
  length: fc.nat(MAX_PAYLOAD),
  dtUs: fc.nat(5_000_000),
});

describe('flow fuzz', () => {
  test('random packets through flow table and reassembly: no throw, memory and flow limits hold', () => {
    const limits = { maxBufferedBytes: 2000, maxBufferedSegments: 8, maxSeqJump: 1 << 30 };
    const maxFlows = 4;
    const maxGlobal = 3000;
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 200 }), (packets) => {
        const sinks: RecordingSink[] = [];
        const asm = new StreamAssembler(
          () => {
            const s = new RecordingSink();
            sinks.push(s);
            return s;
          },
          {
            table: { maxFlows, maxBufferedBytes: maxGlobal, closedLingerUs: 1e6, tcpClosingTimeoutUs: 3e6 },
            reassembly: limits,
          },
        );
        const server = Uint8Array.of(10, 0, 0, 1);
        const client = new Uint8Array(4);
        const payload = new Uint8Array(MAX_PAYLOAD).fill(0x61);
        let ts = 0;
        for (const p of packets) {
          ts += p.dtUs;
          client.set([10, 0, 1, p.client]);
          const body = payload.subarray(0, p.length);
          const [src, sport, dst, dport] = p.fromServer
            ? [server, 80, client, 40000 + p.client]
            : [client, 40000 + p.client, server, 80];
          if (p.udp) asm.udp(4, src, sport, dst, dport, body, ts);
          else asm.tcp(4, src, sport, dst, dport, (p.seqBase + p.seqDelta) >>> 0, p.ack, p.flags, body, ts);
          assert.ok(asm.table.size <= maxFlows);
          // The global total may pass its limit by one flow's worth until the next lookup evicts.
          assert.ok(asm.table.bufferedBytes <= maxGlobal + limits.maxBufferedBytes + MAX_PAYLOAD);
          for (const f of asm.table.flows()) {
            const tcp = f.value?.tcp;
            if (tcp) assert.ok(tcp.bufferedBytes <= limits.maxBufferedBytes + MAX_PAYLOAD);
          }
        }
        asm.finish(ts);
        assert.equal(asm.table.size, 0);
        assert.equal(asm.table.bufferedBytes, 0);
        for (const s of sinks) {
          assert.equal(s.ended, 1);
          assert.equal(s.events[s.events.length - 1].kind, 'end');
          for (const e of s.events) if (e.kind === 'gap') assert.ok(e.length > 0);
        }
      }),
      { numRuns },
    );
  });

  test('whatever the segments and ACKs, every delivered byte sits at its true stream position', () => {
    const original = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
    const segment = fc.record({
      dir: fc.constantFrom(0 as const, 1 as const),
      start: fc.nat(original.length - 1),
      length: fc.integer({ min: 0, max: 700 }),
      ackAt: fc.option(fc.nat(original.length), { freq: 3 }),
      fin: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.nat(0xffffffff),
        fc.array(segment, { maxLength: 80 }),
        fc.nat(4000),
        (isn, segments, bufLimit) => {
          const sink = new RecordingSink();
          const r = new TcpReassembler(sink, { maxBufferedBytes: bufLimit, maxBufferedSegments: 16 });
          r.segment(0, isn, 0, TCP_SYN, new Uint8Array(0), 0);
          r.segment(1, isn, 0, TCP_SYN, new Uint8Array(0), 0);
          const finAt: [number, number] = [-1, -1];
          for (const s of segments) {
            const bytes = original.subarray(s.start, s.start + s.length);
            // A FIN only at the true end of the data, and only once per direction, as a real peer would.
            const fin = s.fin && s.start + bytes.length === original.length && finAt[s.dir] < 0;
            if (fin) finAt[s.dir] = original.length;
            const ack = s.ackAt === null ? 0 : (isn + 1 + s.ackAt) >>> 0;
            const flags = (s.ackAt === null ? 0 : TCP_ACK) | (fin ? TCP_FIN : 0);
            r.segment(s.dir, (isn + 1 + s.start) >>> 0, ack, flags, bytes, 0);
          }
          r.end(1);
          for (const dir of [0, 1] as const) {
            const got = sink.withGaps(dir);
            let pos = 0;
            for (const e of sink.events) {
              if (e.kind === 'gap' && e.dir === dir) pos += e.length;
              if (e.kind === 'data' && e.dir === dir) {
                assert.ok(
                  e.bytes.equals(original.subarray(pos, pos + e.bytes.length)),
                  `dir ${dir} bytes at ${pos}`,
                );
                pos += e.bytes.length;
              }
            }
            assert.equal(pos, got.length);
            assert.ok(pos <= original.length);
          }
          assert.equal(r.stats.overlapConflicts, 0);
          assert.equal(r.bufferedBytes, 0);
        },
      ),
      { numRuns },
    );
  });
});
