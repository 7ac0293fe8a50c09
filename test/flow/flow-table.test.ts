import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FlowTable,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Flow,
  type FlowEndReason,
} from '../../src/flow/flow-table.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/flow/tcp-reassembly.js';
import { flowHash } from '../../src/flow/flow-key.js';

const ip4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const C = ip4('10.0.0.1');
const S = ip4('10.0.0.2');
const S6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 2 : i === 0 ? 0x20 : 0));
const C6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : i === 0 ? 0x20 : 0));
const SEC = 1e6;

function table(options: ConstructorParameters<typeof FlowTable>[0] = {}) {
  const ended: { id: number; reason: FlowEndReason; tsUs: number }[] = [];
  const t = new FlowTable<string>(options, (flow: Flow<string>, reason, tsUs) =>
    ended.push({ id: flow.id, reason, tsUs }),
  );
  return { t, ended };
}

interface Endpoints {
  src: Uint8Array;
  sport: number;
}

/**
 * Client endpoints (to S or S6, port 53, UDP) whose flow keys hash to the same value: one pair
 * of IPv4 clients, and one IPv4 and one IPv6 client. Found by trying clients in turn; with a
 * 32-bit hash, a few hundred thousand tries give several pairs.
 */
function collidingClients(): { sameVersion: [Endpoints, Endpoints]; mixed: [Endpoints, Endpoints] } {
  const seen = new Map<number, Endpoints>();
  let sameVersion: [Endpoints, Endpoints] | null = null;
  let mixed: [Endpoints, Endpoints] | null = null;
  for (let i = 0; i < 2_000_000 && (sameVersion === null || mixed === null); i++) {
    const v6 = i % 2 === 1;
    const src = v6 ? Uint8Array.from(C6) : ip4('10.0.0.0');
    src[src.length - 2] = (i >> 8) & 0xff;
    src[src.length - 1] = i & 0xff;
    src[src.length - 3] = (i >> 16) & 0xff;
    const e = { src, sport: 1024 + (i % 50_000) };
    const hash = flowHash(src, e.sport, v6 ? S6 : S, 53, IPPROTO_UDP);
    const earlier = seen.get(hash);
    if (earlier === undefined) seen.set(hash, e);
    else if (earlier.src.length === src.length) sameVersion ??= [earlier, e];
    else mixed ??= [earlier, e];
  }
  assert.ok(sameVersion !== null && mixed !== null, 'colliding keys found');
  return { sameVersion, mixed };
}

describe('FlowTable', () => {
  test('both directions of a 5-tuple are one flow; the SYN sender is the client', () => {
    const { t } = table();
    const a = t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 0, TCP_SYN);
    assert.equal(a.created, true);
    assert.equal(a.dir, 0);
    const flow = a.flow;
    assert.deepEqual([flow.clientPort, flow.serverPort], [40000, 80]);
    const b = t.lookup(4, S, 80, C, 40000, IPPROTO_TCP, 1, TCP_SYN | TCP_ACK);
    assert.equal(b.flow, flow);
    assert.equal(b.dir, 1);
    assert.equal(b.created, false);
    assert.equal(t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 2, TCP_ACK).dir, 0);
    assert.equal(t.size, 1);
  });

  test('a SYN-ACK seen first makes its sender the server', () => {
    const { t } = table();
    const r = t.lookup(4, S, 8080, C, 8081, IPPROTO_TCP, 0, TCP_SYN | TCP_ACK);
    assert.equal(r.dir, 1);
    assert.deepEqual([r.flow.clientPort, r.flow.serverPort], [8081, 8080]);
    assert.deepEqual([...r.flow.clientAddr], [...C]);
  });

  test('mid-stream pickup: the well-known or registered port is the server, else the first sender is the client', () => {
    const { t } = table();
    assert.equal(t.lookup(4, S, 443, C, 51000, IPPROTO_TCP, 0, TCP_ACK).dir, 1);
    assert.equal(t.lookup(4, C, 3868, S, 60000, IPPROTO_TCP, 0, TCP_ACK).dir, 1);
    assert.equal(t.lookup(4, C, 50000, S, 60000, IPPROTO_TCP, 0, TCP_ACK).dir, 0);
  });

  test('UDP: the first datagram’s sender is the client, whatever the ports', () => {
    const { t } = table();
    const r = t.lookup(4, S, 53, C, 33333, IPPROTO_UDP, 0);
    assert.equal(r.dir, 0);
    assert.equal(r.flow.clientPort, 53);
    assert.equal(t.lookup(4, C, 33333, S, 53, IPPROTO_UDP, 1).dir, 1);
  });

  test('protocol, ports and IP version separate flows; ids are sequential and stable', () => {
    const { t } = table();
    const ids = [
      t.lookup(4, C, 1000, S, 80, IPPROTO_TCP, 0, TCP_SYN).flow.id,
      t.lookup(4, C, 1000, S, 80, IPPROTO_UDP, 0).flow.id,
      t.lookup(4, C, 1001, S, 80, IPPROTO_TCP, 0, TCP_SYN).flow.id,
      t.lookup(6, C6, 1000, S6, 80, IPPROTO_TCP, 0, TCP_SYN).flow.id,
      t.lookup(4, S, 80, C, 1000, IPPROTO_TCP, 1, TCP_ACK).flow.id,
      t.lookup(6, S6, 80, C6, 1000, IPPROTO_TCP, 1, TCP_ACK).flow.id,
    ];
    assert.deepEqual(ids, [0, 1, 2, 3, 0, 3]);
    assert.equal(t.size, 4);
  });

  test('many flows: every lookup finds its own flow again (hash buckets compare the bytes)', () => {
    const { t } = table();
    const n = 5000;
    const addr = new Uint8Array(4);
    for (let i = 0; i < n; i++) {
      addr.set([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
      t.lookup(4, addr, 1024 + (i % 50000), S, 80, IPPROTO_TCP, 0, TCP_SYN);
    }
    for (let i = n - 1; i >= 0; i--) {
      addr.set([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
      const r = t.lookup(4, S, 80, addr, 1024 + (i % 50000), IPPROTO_TCP, 1, TCP_ACK);
      assert.equal(r.created, false);
      assert.equal(r.flow.id, i);
      assert.equal(r.dir, 1);
    }
  });

  test('FIN from both sides closes; the flow lingers for late retransmissions, then ends with "fin"', () => {
    const { t, ended } = table({ closedLingerUs: 2 * SEC });
    const f = t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 0, TCP_SYN).flow;
    t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 1 * SEC, TCP_FIN | TCP_ACK);
    assert.equal(f.state, 'closing');
    t.lookup(4, S, 80, C, 40000, IPPROTO_TCP, 1.1 * SEC, TCP_FIN | TCP_ACK);
    assert.equal(f.state, 'closed');
    const late = t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 2.5 * SEC, TCP_ACK);
    assert.equal(late.flow, f);
    assert.deepEqual(ended, []);
    t.advance(3.1 * SEC);
    assert.deepEqual(ended, [{ id: 0, reason: 'fin', tsUs: 3.1 * SEC }]);
    assert.equal(t.size, 0);
  });

  test('RST closes at once with reason "rst"', () => {
    const { t, ended } = table({ closedLingerUs: 1 * SEC });
    t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 0, TCP_SYN);
    t.lookup(4, S, 80, C, 40000, IPPROTO_TCP, 10, TCP_RST | TCP_ACK);
    t.advance(2 * SEC);
    assert.deepEqual(
      ended.map((e) => e.reason),
      ['rst'],
    );
  });

  test('a new SYN on a closed 5-tuple starts a new flow (port reuse)', () => {
    const { t, ended } = table();
    const first = t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 0, TCP_SYN).flow;
    t.lookup(4, S, 80, C, 40000, IPPROTO_TCP, 10, TCP_RST | TCP_ACK);
    const second = t.lookup(4, C, 40000, S, 80, IPPROTO_TCP, 20, TCP_SYN);
    assert.equal(second.created, true);
    assert.notEqual(second.flow.id, first.id);
    assert.deepEqual(ended, [{ id: first.id, reason: 'rst', tsUs: 20 }]);
  });

  test('idle timeouts differ for open TCP, closing TCP and UDP, and run on packet time', () => {
    const { t, ended } = table({
      tcpEstablishedTimeoutUs: 100 * SEC,
      tcpClosingTimeoutUs: 10 * SEC,
      udpTimeoutUs: 30 * SEC,
    });
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 0, TCP_SYN); // id 0: open
    t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 0, TCP_SYN); // id 1: closing
    t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 0, TCP_FIN | TCP_ACK);
    t.lookup(4, C, 3, S, 53, IPPROTO_UDP, 0); // id 2: udp
    t.advance(10 * SEC);
    assert.deepEqual(
      ended.map((e) => [e.id, e.reason]),
      [[1, 'idle']],
    );
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 20 * SEC, TCP_ACK); // activity keeps id 0 alive
    t.advance(30 * SEC);
    t.advance(110 * SEC);
    assert.deepEqual(
      ended.map((e) => e.id),
      [1, 2],
    );
    t.advance(120 * SEC);
    assert.deepEqual(
      ended.map((e) => [e.id, e.tsUs]),
      [
        [1, 10 * SEC],
        [2, 30 * SEC],
        [0, 120 * SEC],
      ],
    );
  });

  test('flows whose keys hash alike: each is found; ending the first or the last of them keeps the other', () => {
    const { sameVersion, mixed } = collidingClients();
    const { t, ended } = table();
    const [a, b] = sameVersion;
    const look = (e: Endpoints, tsUs: number) =>
      t.lookup(
        e.src.length === 4 ? 4 : 6,
        e.src,
        e.sport,
        e.src.length === 4 ? S : S6,
        53,
        IPPROTO_UDP,
        tsUs,
      );
    const idA = look(a, 0).flow.id;
    const idB = look(b, 1 * SEC).flow.id;
    look(a, 30 * SEC);
    // b (the newer, first in its chain) idles out: a is still found.
    let r = look(a, 62 * SEC);
    assert.deepEqual([r.created, r.flow.id], [false, idA]);
    assert.deepEqual(ended, [{ id: idB, reason: 'idle', tsUs: 62 * SEC }]);
    const idB2 = look(b, 62 * SEC).flow.id;
    assert.notEqual(idB2, idB);
    look(b, 100 * SEC);
    // Now a is the last of the chain: it idles out, b's new flow is still found.
    r = look(b, 123 * SEC);
    assert.deepEqual([r.created, r.flow.id], [false, idB2]);
    assert.deepEqual(ended.at(-1), { id: idA, reason: 'idle', tsUs: 123 * SEC });
    assert.equal(look(a, 123 * SEC).created, true, 'the ended flow is gone from its chain');
    // An IPv4 and an IPv6 key with the same hash are two flows, each found again.
    const [m4, m6] = mixed;
    const id4 = look(m4, 124 * SEC).flow.id;
    const id6 = look(m6, 124 * SEC).flow.id;
    assert.notEqual(id4, id6);
    assert.deepEqual([look(m4, 125 * SEC).flow.id, look(m6, 125 * SEC).flow.id], [id4, id6]);
    assert.equal(t.size, 4);
  });

  test('maxFlows: the least recently active flow is evicted and counted', () => {
    const { t, ended } = table({ maxFlows: 3 });
    for (let p = 1; p <= 3; p++) t.lookup(4, C, p, S, 80, IPPROTO_TCP, p, TCP_SYN);
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 10, TCP_ACK); // id 0 becomes the most recent
    t.lookup(4, C, 4, S, 80, IPPROTO_TCP, 11, TCP_SYN);
    assert.deepEqual(ended, [{ id: 1, reason: 'evicted', tsUs: 11 }]);
    assert.equal(t.stats.evictedForFlows, 1);
    assert.equal(t.size, 3);
  });

  test('maxFlowBytes: flows cost their estimate by transport; over the budget the least recently active go', () => {
    const { t, ended } = table({ maxFlowBytes: 10_000, tcpFlowBytes: 3_000, datagramFlowBytes: 1_000 });
    for (let p = 1; p <= 3; p++) t.lookup(4, C, p, S, 80, IPPROTO_TCP, p, TCP_SYN); // ids 0-2: 9,000
    t.lookup(4, C, 53, S, 53, IPPROTO_UDP, 4); // id 3: exactly 10,000, nothing goes
    assert.equal(ended.length, 0);
    t.lookup(4, C, 54, S, 53, IPPROTO_UDP, 5); // id 4: 11,000 would be over; TCP id 0 goes
    assert.deepEqual(ended, [{ id: 0, reason: 'evicted', tsUs: 5 }]);
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 6, TCP_SYN); // id 5 (port 1 again): 11,000 again; id 1 goes
    assert.deepEqual(
      ended.map((e) => e.id),
      [0, 1],
    );
    t.lookup(4, C, 9, S, 80, IPPROTO_TCP, 7, TCP_SYN); // id 6: 11,000 again; id 2 goes
    assert.deepEqual(
      ended.map((e) => e.id),
      [0, 1, 2],
    );
    assert.equal(t.stats.evictedForFlows, 3);
    assert.equal(t.size, 4); // ids 3-6: 1,000 + 1,000 + 3,000 + 3,000
  });

  test('maxFlows: a lingering closed flow goes before any live one', () => {
    const { t, ended } = table({ maxFlows: 2 });
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 0, TCP_SYN);
    t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 1, TCP_SYN);
    t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 2, TCP_RST);
    t.lookup(4, C, 3, S, 80, IPPROTO_TCP, 3, TCP_SYN);
    assert.deepEqual(ended, [{ id: 1, reason: 'rst', tsUs: 3 }]);
    assert.equal(t.stats.evictedForFlows, 0);
  });

  test('maxBufferedBytes: the oldest flows holding buffered bytes are evicted at the next lookup', () => {
    const { t, ended } = table({ maxBufferedBytes: 100 });
    const quiet = t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 0, TCP_SYN).flow;
    const a = t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 1, TCP_SYN).flow;
    const b = t.lookup(4, C, 3, S, 80, IPPROTO_TCP, 2, TCP_SYN).flow;
    t.chargeBuffer(a, 60);
    t.chargeBuffer(b, 60);
    assert.equal(t.bufferedBytes, 120);
    t.lookup(4, C, 3, S, 80, IPPROTO_TCP, 3, TCP_ACK);
    assert.deepEqual(ended, [{ id: a.id, reason: 'evicted', tsUs: 3 }]);
    assert.equal(t.bufferedBytes, 60);
    assert.equal(t.stats.evictedForMemory, 1);
    assert.equal(t.stats.peakBufferedBytes, 120);
    assert.equal(quiet.ended, false);
  });

  test('endAll ends every flow with "eof", closed ones with how they closed', () => {
    const { t, ended } = table();
    t.lookup(4, C, 1, S, 80, IPPROTO_TCP, 0, TCP_SYN);
    t.lookup(4, C, 2, S, 80, IPPROTO_TCP, 0, TCP_RST);
    t.lookup(4, C, 3, S, 53, IPPROTO_UDP, 0);
    t.endAll(5);
    assert.deepEqual(ended.map((e) => [e.id, e.reason]).sort(), [
      [0, 'eof'],
      [1, 'rst'],
      [2, 'eof'],
    ]);
    assert.equal(t.size, 0);
    assert.deepEqual(t.stats.ended, { fin: 0, rst: 1, idle: 0, evicted: 0, eof: 2 });
  });

  test('no flow outlives its idle time, whatever the order of packets, states and quiet spells', () => {
    // The table looks at its lists only when the earliest deadline it knows of comes; a
    // deadline it missed (a list's first flow, a flow changing lists) would leave a flow
    // alive past its timeout. After every step, each live flow must be within its list's.
    const packet = fc.record({
      port: fc.integer({ min: 1, max: 6 }),
      udp: fc.boolean(),
      fromServer: fc.boolean(),
      flags: fc.constantFrom(TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST),
      stepUs: fc.integer({ min: 0, max: 40 * SEC }),
      advanceOnly: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(packet, { minLength: 50, maxLength: 400 }), (packets) => {
        const { t } = table({
          tcpEstablishedTimeoutUs: 100 * SEC,
          tcpClosingTimeoutUs: 10 * SEC,
          closedLingerUs: 2 * SEC,
          udpTimeoutUs: 30 * SEC,
        });
        let now = 0;
        for (const p of packets) {
          now += p.stepUs;
          if (p.advanceOnly) t.advance(now);
          else {
            const proto = p.udp ? IPPROTO_UDP : IPPROTO_TCP;
            const flags = p.udp ? -1 : p.flags;
            if (p.fromServer) t.lookup(4, S, 80, C, p.port, proto, now, flags);
            else t.lookup(4, C, p.port, S, 80, proto, now, flags);
          }
          for (const f of t.flows())
            assert.ok(t.nowUs - f.lastTsUs < f.list!.timeoutUs, `flow ${f.id} outlived its idle time`);
        }
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });
});
