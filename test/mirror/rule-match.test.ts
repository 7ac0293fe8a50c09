import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/decode/index.js';
import { GraphPacket } from '../../src/graph/packet.js';
import { allInbound, directionByMac, directionBySllPacketType } from '../../src/mirror/direction.js';
import {
  KEY_MALFORMED_IP,
  KEY_NOT_IP,
  KEY_OK,
  PacketKey,
  readPacketKey,
} from '../../src/mirror/packet-key.js';
import { CidrMatcher, CompiledFilter, SessionClassifier } from '../../src/mirror/rule-match.js';
import { ActiveSession, emptyCounters } from '../../src/mirror/session-state.js';
import type { MirrorFilter, MirrorSession, RuleDirection } from '../../src/mirror/types.js';
import {
  ICMP,
  ICMPV6,
  MAC_A,
  MAC_B,
  TCP,
  UDP,
  eth4,
  eth6,
  ethernet,
  filter,
  ipv6Fragment,
  ipv6HopByHop,
  l4,
  rule,
  session,
  udpWith,
} from './packets.js';

function keyOf(frame: Uint8Array, linkType = 1): PacketKey {
  const key = new PacketKey();
  assert.equal(readPacketKey(decodePacket(frame, linkType), frame, key), KEY_OK);
  return key;
}

/** The collecting decision of one filter for one frame. */
function collects(f: MirrorFilter, frame: Uint8Array, direction: RuleDirection = 'outbound'): boolean {
  return new CompiledFilter(f).decide(keyOf(frame), direction)?.collect === true;
}

function classifierOf(specs: Array<[MirrorSession, MirrorFilter]>): SessionClassifier<ActiveSession> {
  const c = new SessionClassifier<ActiveSession>();
  c.setSessions(specs.map(([s, f]) => new ActiveSession(s, f, emptyCounters())));
  return c;
}

const tcp4 = (src: string, dst: string, sport: number, dport: number) =>
  eth4({ src, dst, proto: TCP, payload: l4(TCP, sport, dport) });
const udp4 = (src: string, dst: string, sport: number, dport: number) =>
  eth4({ src, dst, proto: UDP, payload: l4(UDP, sport, dport) });
const udp6 = (src: string, dst: string, sport: number, dport: number) =>
  eth6(src, dst, UDP, l4(UDP, sport, dport));

describe('rule evaluation within a filter', () => {
  test('rules run by priority, not by list order; the first match decides', () => {
    // Listed Collect first, but the DoNotCollect has the smaller priority value and wins.
    const f = filter(1, [
      rule(200, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0'),
      rule(100, 'DoNotCollect', 'TCP', '0.0.0.0/0', '10.0.0.0/8', { dst: { from: 80, to: 80 } }),
    ]);
    assert.equal(collects(f, tcp4('192.0.2.1', '10.1.2.3', 40000, 80)), false);
    assert.equal(collects(f, tcp4('192.0.2.1', '10.1.2.3', 40000, 81)), true);
    assert.equal(collects(f, udp4('192.0.2.1', '10.1.2.3', 40000, 80)), true);
    assert.equal(collects(f, tcp4('192.0.2.1', '11.0.0.1', 40000, 80)), true);
  });

  test('a later Collect cannot override an earlier DoNotCollect, and vice versa', () => {
    const f = filter(1, [
      rule(1, 'Collect', 'UDP', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 53, to: 53 } }),
      rule(2, 'DoNotCollect', 'ALL', '0.0.0.0/0', '0.0.0.0/0'),
    ]);
    assert.equal(collects(f, udp4('10.0.0.1', '10.0.0.2', 1000, 53)), true);
    assert.equal(collects(f, udp4('10.0.0.1', '10.0.0.2', 1000, 54)), false);
  });

  test('no matching rule and no rules at all collect nothing', () => {
    const f = filter(1, [rule(1, 'Collect', 'TCP', '0.0.0.0/0', '0.0.0.0/0')]);
    assert.equal(collects(f, udp4('10.0.0.1', '10.0.0.2', 1, 2)), false);
    assert.equal(collects(filter(2, []), tcp4('10.0.0.1', '10.0.0.2', 1, 2)), false);
  });

  test('inbound and outbound rule lists are separate', () => {
    const f = filter(1, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0', {}, 'inbound')]);
    const pkt = tcp4('10.0.0.1', '10.0.0.2', 1, 2);
    assert.equal(collects(f, pkt, 'inbound'), true);
    assert.equal(collects(f, pkt, 'outbound'), false);
  });

  test('protocols: ICMP covers ICMPv4 and ICMPv6, ALL covers any protocol', () => {
    const icmp = filter(1, [
      rule(1, 'Collect', 'ICMP', '0.0.0.0/0', '0.0.0.0/0'),
      rule(2, 'Collect', 'ICMP', '::/0', '::/0'),
    ]);
    assert.equal(
      collects(icmp, eth4({ src: '1.1.1.1', dst: '2.2.2.2', proto: ICMP, payload: l4(ICMP, 0, 0) })),
      true,
    );
    assert.equal(collects(icmp, eth6('fe80::1', 'fe80::2', ICMPV6, l4(ICMP, 0, 0))), true);
    assert.equal(collects(icmp, tcp4('1.1.1.1', '2.2.2.2', 1, 2)), false);
    const tcpOnly = filter(2, [rule(1, 'Collect', 'TCP', '0.0.0.0/0', '0.0.0.0/0')]);
    assert.equal(collects(tcpOnly, udp4('1.1.1.1', '2.2.2.2', 1, 2)), false);
    const all = filter(3, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0')]);
    assert.equal(
      collects(all, eth4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47, payload: [0, 0, 0x08, 0] })),
      true,
    );
  });

  test('ports given on ALL or ICMP rules are ignored (forced to any)', () => {
    const f = filter(1, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 1, to: 1 } })]);
    assert.equal(collects(f, tcp4('1.1.1.1', '2.2.2.2', 5, 443)), true);
  });

  test('port range edges: 1/200 and 80/80, source and destination', () => {
    const f = filter(1, [
      rule(1, 'Collect', 'TCP', '0.0.0.0/0', '0.0.0.0/0', {
        src: { from: 1, to: 200 },
        dst: { from: 80, to: 80 },
      }),
    ]);
    const cases: Array<[number, number, boolean]> = [
      [0, 80, false],
      [1, 80, true],
      [200, 80, true],
      [201, 80, false],
      [100, 79, false],
      [100, 81, false],
      [65535, 80, false],
    ];
    for (const [sport, dport, want] of cases) {
      assert.equal(collects(f, tcp4('1.1.1.1', '2.2.2.2', sport, dport)), want, `${sport} -> ${dport}`);
    }
  });
});

describe('CIDR blocks', () => {
  const ruleFor = (src: string, dst: string) => filter(1, [rule(1, 'Collect', 'ALL', src, dst)]);

  test('/0 matches every address of its family only', () => {
    assert.equal(collects(ruleFor('0.0.0.0/0', '0.0.0.0/0'), tcp4('255.255.255.255', '0.0.0.0', 1, 2)), true);
    assert.equal(collects(ruleFor('0.0.0.0/0', '0.0.0.0/0'), udp6('2001:db8::1', '::1', 1, 2)), false);
    assert.equal(collects(ruleFor('::/0', '::/0'), udp6('2001:db8::1', '::1', 1, 2)), true);
    assert.equal(collects(ruleFor('::/0', '::/0'), tcp4('10.0.0.1', '10.0.0.2', 1, 2)), false);
    // Mixed families in one rule never match anything.
    assert.equal(collects(ruleFor('0.0.0.0/0', '::/0'), tcp4('10.0.0.1', '10.0.0.2', 1, 2)), false);
  });

  test('/32, /31 and /8 boundaries', () => {
    assert.equal(collects(ruleFor('10.0.0.1/32', '0.0.0.0/0'), tcp4('10.0.0.1', '1.1.1.1', 1, 2)), true);
    assert.equal(collects(ruleFor('10.0.0.1/32', '0.0.0.0/0'), tcp4('10.0.0.0', '1.1.1.1', 1, 2)), false);
    assert.equal(collects(ruleFor('0.0.0.0/0', '10.0.0.2/31'), tcp4('1.1.1.1', '10.0.0.3', 1, 2)), true);
    assert.equal(collects(ruleFor('0.0.0.0/0', '10.0.0.2/31'), tcp4('1.1.1.1', '10.0.0.4', 1, 2)), false);
    assert.equal(collects(ruleFor('0.0.0.0/0', '10.0.0.0/8'), tcp4('1.1.1.1', '10.255.255.255', 1, 2)), true);
    assert.equal(collects(ruleFor('0.0.0.0/0', '10.0.0.0/8'), tcp4('1.1.1.1', '11.0.0.0', 1, 2)), false);
    // Source and destination are checked separately.
    assert.equal(collects(ruleFor('10.0.0.0/8', '0.0.0.0/0'), tcp4('1.1.1.1', '10.0.0.1', 1, 2)), false);
  });

  test('IPv6 /64, /65 and /128 boundaries', () => {
    const in64 = ruleFor('::/0', '2001:db8::/64');
    assert.equal(collects(in64, udp6('::1', '2001:db8::ffff:ffff:ffff:ffff', 1, 2)), true);
    assert.equal(collects(in64, udp6('::1', '2001:db8:0:1::', 1, 2)), false);
    // /65: bit 64 (the top bit of the fifth group) is part of the network.
    const in65 = ruleFor('::/0', '2001:db8::/65');
    assert.equal(collects(in65, udp6('::1', '2001:db8::7fff:ffff:ffff:ffff', 1, 2)), true);
    assert.equal(collects(in65, udp6('::1', '2001:db8::8000:0:0:0', 1, 2)), false);
    const upper65 = ruleFor('::/0', '2001:db8:0:0:8000::/65');
    assert.equal(collects(upper65, udp6('::1', '2001:db8::8000:0:0:1', 1, 2)), true);
    const host = ruleFor('2001:db8::1/128', '::/0');
    assert.equal(collects(host, udp6('2001:db8::1', '::2', 1, 2)), true);
    assert.equal(collects(host, udp6('2001:db8::2', '::2', 1, 2)), false);
  });

  test('bad CIDR text is refused with MIRROR_BAD_CIDR', () => {
    for (const text of [
      '10.0.0.0',
      '10.0.0.0/33',
      '1.2.3/8',
      '::/129',
      '2001:db8:::/64',
      'fe80::g/10',
      '10.0.0.256/8',
    ]) {
      assert.throws(() => new CidrMatcher(text), { code: 'MIRROR_BAD_CIDR' }, text);
    }
    assert.equal(new CidrMatcher('::ffff:10.0.0.0/104').family, 6);
  });
});

describe('fragments and headers', () => {
  const portRule = filter(1, [
    rule(1, 'Collect', 'UDP', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 2049, to: 2049 } }),
  ]);
  const anyPortRule = filter(2, [rule(1, 'Collect', 'UDP', '0.0.0.0/0', '0.0.0.0/0')]);
  const first = eth4({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    proto: UDP,
    payload: l4(UDP, 800, 2049, 16),
    moreFragments: true,
  });
  const later = eth4({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    proto: UDP,
    payload: new Array(24).fill(1),
    fragOffset: 1480,
  });

  test('IPv4: the first fragment has ports; later fragments only match any-port rules', () => {
    assert.equal(collects(portRule, first), true);
    assert.equal(collects(portRule, later), false);
    assert.equal(collects(anyPortRule, later), true);
    const key = keyOf(later);
    assert.equal(key.srcPort, -1);
    assert.equal(key.fragment, true);
  });

  test('fragments of one datagram share a flow hash; both directions of a flow share one', () => {
    assert.equal(keyOf(first).flowHash(), keyOf(later).flowHash());
    assert.equal(
      keyOf(tcp4('10.0.0.1', '10.0.0.2', 1234, 80)).flowHash(),
      keyOf(tcp4('10.0.0.2', '10.0.0.1', 80, 1234)).flowHash(),
    );
    assert.notEqual(
      keyOf(tcp4('10.0.0.1', '10.0.0.2', 1234, 80)).flowHash(),
      keyOf(tcp4('10.0.0.1', '10.0.0.2', 1235, 80)).flowHash(),
    );
  });

  test('IPv6: extension headers are skipped to the upper-layer protocol; fragments as in IPv4', () => {
    const f = filter(3, [
      rule(1, 'Collect', 'TCP', '::/0', '::/0', { dst: { from: 443, to: 443 } }),
      rule(2, 'Collect', 'UDP', '::/0', '::/0'),
    ]);
    const hbh = eth6('2001:db8::1', '2001:db8::2', 0, ipv6HopByHop(TCP, l4(TCP, 5000, 443)));
    assert.equal(collects(f, hbh), true);
    assert.equal(keyOf(hbh).proto, TCP);
    const firstFrag = eth6('2001:db8::1', '2001:db8::2', 44, ipv6Fragment(TCP, 0, true, l4(TCP, 5000, 443)));
    assert.equal(collects(f, firstFrag), true);
    const laterTcp = eth6(
      '2001:db8::1',
      '2001:db8::2',
      44,
      ipv6Fragment(TCP, 1448, false, new Array(16).fill(0)),
    );
    assert.equal(collects(f, laterTcp), false);
    const laterUdp = eth6(
      '2001:db8::1',
      '2001:db8::2',
      44,
      ipv6Fragment(UDP, 1448, false, new Array(16).fill(0)),
    );
    assert.equal(collects(f, laterUdp), true);
  });

  test('a VXLAN packet is classified by its outer headers', () => {
    const inner = Array.from(tcp4('192.168.0.1', '192.168.0.2', 1, 80));
    const vxlan = [8, 0, 0, 0, 0, 0, 100, 0, ...inner];
    const frame = eth4({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: UDP,
      payload: udpWith(50000, 4789, vxlan),
    });
    const key = keyOf(frame);
    assert.equal(key.proto, UDP);
    assert.equal(key.dstPort, 4789);
    const innerRule = filter(4, [rule(1, 'Collect', 'TCP', '0.0.0.0/0', '192.168.0.0/16')]);
    assert.equal(collects(innerRule, frame), false);
  });

  test('non-IP frames and broken IP headers are reported, not classified', () => {
    const key = new PacketKey();
    const arp = ethernet(0x0806, new Array(28).fill(0));
    assert.equal(readPacketKey(decodePacket(arp, 1), arp, key), KEY_NOT_IP);
    const badIhl = ethernet(0x0800, [0x44, ...new Array(30).fill(0)]);
    assert.equal(readPacketKey(decodePacket(badIhl, 1), badIhl, key), KEY_MALFORMED_IP);
    const cut = ethernet(0x86dd, [0x60, 0, 0, 0, 0, 8]);
    assert.equal(readPacketKey(decodePacket(cut, 1), cut, key), KEY_MALFORMED_IP);
  });
});

describe('sessions', () => {
  const everything = filter(10, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0')]);
  const webOff = filter(11, [
    rule(1, 'DoNotCollect', 'TCP', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 80, to: 80 } }),
    rule(2, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0'),
  ]);
  const dnsOnly = filter(12, [
    rule(1, 'Collect', 'UDP', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 53, to: 53 } }),
  ]);

  test('the session with the smallest priority value takes the packet', () => {
    const c = classifierOf([
      [session(1, 300, 10), everything],
      [session(2, 100, 12), dnsOnly],
      [session(3, 200, 11), webOff],
    ]);
    assert.deepEqual(
      c.active.map((s) => s.id),
      [2, 3, 1],
    );
    assert.equal(c.classify(keyOf(udp4('1.1.1.1', '2.2.2.2', 9, 53)), 'outbound')?.id, 2);
    assert.equal(c.classify(keyOf(udp4('1.1.1.1', '2.2.2.2', 9, 54)), 'outbound')?.id, 3);
  });

  test('DoNotCollect excludes the packet from that session only: the next session is tried', () => {
    const c = classifierOf([
      [session(3, 200, 11), webOff],
      [session(1, 300, 10), everything],
    ]);
    const web = keyOf(tcp4('1.1.1.1', '2.2.2.2', 9, 80));
    assert.equal(c.classify(web, 'outbound')?.id, 1);
    assert.deepEqual(c.explain(web, 'outbound'), [
      'session 3 (priority 200): rule ' + c.active[0].filter.outbound[0].id + ' (priority 1) DoNotCollect',
      'session 1 (priority 300): rule ' + c.active[1].filter.outbound[0].id + ' (priority 1) Collect',
    ]);
    assert.equal(c.classify(web, 'inbound'), null, 'no session has inbound rules');
  });

  test('a session given a filter it does not use is refused', () => {
    assert.throws(() => new ActiveSession(session(1, 1, 99), everything, emptyCounters()), {
      code: 'MIRROR_FILTER_MISMATCH',
    });
    assert.throws(
      () =>
        new ActiveSession(
          session(1, 1, 10, {
            destination: { kind: 'endpoint', endpoint: { host: 'collector.example', port: 4789 } },
          }),
          everything,
          emptyCounters(),
        ),
      { code: 'MIRROR_DESTINATION_NOT_IP' },
    );
  });
});

describe('direction helpers', () => {
  const frameFrom = (src: number[]) => ethernet(0x0800, [], src, MAC_B);
  const pkt = (data: Uint8Array, linkType: number) =>
    GraphPacket.fromRecord(0, { data, origLen: data.length, tsSec: 0, tsNsec: 0, linkType, interfaceId: 0 });

  test('Ethernet: a local source MAC is outbound, anything else inbound', () => {
    const dir = directionByMac([Uint8Array.from(MAC_A)]);
    assert.equal(dir(pkt(frameFrom(MAC_A), 1)), 'outbound');
    assert.equal(dir(pkt(frameFrom(MAC_B), 1)), 'inbound');
    assert.equal(dir(pkt(frameFrom([0x82, 0, 0, 0, 0, 0x0a]), 1)), 'inbound', 'differs in the top bit only');
    assert.equal(dir(pkt(Uint8Array.of(1, 2, 3), 1)), 'inbound');
    assert.equal(allInbound(pkt(frameFrom(MAC_A), 1)), 'inbound');
  });

  test('SLL and SLL2: packet type 4 (outgoing) is outbound', () => {
    const sll = (type: number) => Uint8Array.from([0, type, 0, 1, 0, 6, ...MAC_A, 0, 0, 0x08, 0x00]);
    const sll2 = (type: number) =>
      Uint8Array.from([0x08, 0, 0, 0, 0, 0, 0, 2, 0, 1, type, 6, ...MAC_A, 0, 0]);
    assert.equal(directionBySllPacketType(pkt(sll(4), 113)), 'outbound');
    assert.equal(directionBySllPacketType(pkt(sll(0), 113)), 'inbound');
    assert.equal(directionBySllPacketType(pkt(sll2(4), 276)), 'outbound');
    assert.equal(directionBySllPacketType(pkt(sll2(3), 276)), 'inbound');
    assert.equal(directionBySllPacketType(pkt(sll(4).subarray(0, 10), 113)), null);
    assert.equal(directionByMac([])(pkt(sll(4), 113)), 'outbound');
    assert.equal(directionByMac([])(pkt(Uint8Array.of(0x45), 101)), 'inbound');
  });
});
