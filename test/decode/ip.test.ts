import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/decode/index.js';
import type { Ipv4Layer } from '../../src/decode/ipv4.js';
import type { Ipv6Layer } from '../../src/decode/ipv6.js';
import type { Ipv6ExtLayer, Ipv6FragmentLayer } from '../../src/decode/ipv6ext.js';
import type { AhLayer, EspLayer } from '../../src/decode/ipsec.js';
import type { UdpLayer } from '../../src/decode/udp.js';
import { ipv4TraceLines } from '../../src/decode/ipv4.js';
import { ipv6Dst, ipv6Src } from '../../src/decode/ipv6.js';
import { tcpTraceLines, type TcpLayer } from '../../src/decode/tcp.js';
import { hexBytes, VPP_IPV4, VPP_TCP } from './bytes.js';

const raw = (...hex: string[]) => decodePacket(hexBytes(...hex), 101).slice(1);

describe('IPv4', () => {
  test('VPP seed packet: fields and the exact `show trace` lines', () => {
    const data = hexBytes(VPP_IPV4, VPP_TCP);
    const [ip, tcp] = raw(VPP_IPV4, VPP_TCP) as [Ipv4Layer, TcpLayer];
    assert.equal(ip.checksumValid, true);
    assert.equal(ip.anomaly, null);
    assert.deepEqual(ipv4TraceLines(ip, data), [
      'TCP: 10.1.2.3 -> 172.30.1.2',
      'tos 0x00, ttl 64, length 52, checksum 0x6fb4',
      'fragment id 0x11ec, flags DONT_FRAGMENT',
    ]);
    assert.deepEqual(tcpTraceLines(tcp, data).slice(0, 4), [
      'TCP: 80 -> 58430',
      'seq. 0x5db741c8 ack 0x709defa7',
      'flags 0x11 FIN ACK, tcp header: 32 bytes',
      'window 235, checksum 0x55c3',
    ]);
  });

  test('bad header checksum is reported but the packet still decodes', () => {
    const bad = VPP_IPV4.replace('6fb4', '6fb5');
    const [ip, tcp] = raw(bad, VPP_TCP);
    assert.equal(ip.anomaly, 'ipv4.bad_checksum');
    assert.equal((ip as Ipv4Layer).checksumValid, false);
    assert.equal(tcp.kind, 'tcp');
  });

  test('options: IHL 6 with a 4-byte option, checksum computed by hand', () => {
    // 46 00 001c 0001 0000 40 11 csum 0a000001 0a000002, option: router alert 94 04 0000.
    // Sum of words without checksum: 4600+001c+0001+0000+4011+0a00+0001+0a00+0002+9404+0000 = 0x12e35
    // -> folded 0x2e36 -> checksum 0xffff - 0x2e36 = 0xd1c9. Payload: UDP 1 -> 2, length 8.
    const [ip, udp] = raw('4600 001c 0001 0000 4011 d1c9 0a000001 0a000002 94040000', '0001 0002 0008 0000');
    const v4 = ip as Ipv4Layer;
    assert.equal(v4.ihl, 6);
    assert.equal(v4.headerLength, 24);
    assert.equal(v4.checksumValid, true);
    assert.equal(udp.offset, 24);
  });

  test('bad version, bad IHL and bad total length are stable anomalies', () => {
    assert.equal(decodePacket(hexBytes('55000014'), 228)[0].anomaly, 'ipv4.bad_version');
    assert.equal(
      decodePacket(hexBytes('4400 0014 0000 0000 4006 0000 00000000 00000000'), 228)[0].anomaly,
      'ipv4.bad_ihl',
    );
    const shortTotal = decodePacket(hexBytes('4500 0010 0000 0000 4006 0000 00000000 00000000'), 228);
    assert.equal(shortTotal[0].anomaly, 'ipv4.bad_total_length');
    assert.equal(shortTotal.length, 1);
  });

  test('total length beyond the capture: truncated; header cut: truncated with no next', () => {
    const [ip] = raw(VPP_IPV4, '0050e43e');
    assert.equal(ip.truncated, true);
    const cut = decodePacket(hexBytes('4500 0034 11ec'), 228);
    assert.equal(cut.length, 1);
    assert.equal(cut[0].truncated, true);
    assert.equal(cut[0].headerLength, 6);
  });

  test('first fragment exposes its L4 header, later fragments end the walk', () => {
    // id 0x1234, MF, offset 0, UDP, 10.0.0.1 -> 10.0.0.2; checksum by hand:
    // 4500+001c+1234+2000+4011+0a00+0001+0a00+0002 = 0xcb64 -> checksum 0x349b.
    // UDP claims 100 bytes, 8 present (the rest is in later fragments).
    const first = raw('4500 001c 1234 2000 4011 349b 0a000001 0a000002', '0400 0035 0064 0000');
    assert.equal((first[0] as Ipv4Layer).fragmented, true);
    assert.equal(first[0].anomaly, null);
    const udp = first[1] as UdpLayer;
    assert.deepEqual([udp.srcPort, udp.dstPort, udp.length, udp.truncated], [1024, 53, 100, true]);
    // Same with fragment offset 1 (8 bytes), MF clear: 0x2000 -> 0x0001, sum 0xab65, checksum 0x549a.
    const later = raw('4500 001c 1234 0001 4011 549a 0a000001 0a000002', '0400 0035 0064 0000');
    assert.equal(later.length, 1);
    assert.equal((later[0] as Ipv4Layer).fragmentOffset, 8);
    assert.equal(later[0].anomaly, null);
    assert.equal(later[0].next, null);
  });

  test('AH inside IPv4 hands over to its next header', () => {
    // 4500 0034 (20 + 24 + 8 bytes) ... proto 51 (checksum not checked here); AH: next 17, len 4 ((4+2)*4 = 24 bytes), spi 0x100, seq 5, 12 bytes ICV; UDP header.
    const ah = '11 04 0000 00000100 00000005 000000000000000000000000';
    const layers = raw('4500 0034 0000 0000 4033 0000 0a000001 0a000002', ah, '0001 0002 0008 0000');
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ipv4', 'ah', 'udp'],
    );
    const a = layers[1] as AhLayer;
    assert.deepEqual([a.spi, a.sequence, a.headerLength], [0x100, 5, 24]);
  });
});

const V6_SRC = '20010db8000000000000000000000001';
const V6_DST = 'fe800000000000000000000000000002';
const ipv6 = (payloadLength: string, next: string) =>
  `60012345 ${payloadLength} ${next} 40 ${V6_SRC} ${V6_DST}`;

describe('IPv6', () => {
  test('fixed header fields and RFC 5952 addresses via offsets', () => {
    const data = hexBytes(ipv6('0008', '11'), '0001 0002 0008 0000');
    const [, ip, udp] = decodePacket(data, 101);
    const v6 = ip as Ipv6Layer;
    assert.deepEqual([v6.trafficClass, v6.flowLabel, v6.payloadLength, v6.hopLimit], [0, 0x12345, 8, 64]);
    assert.equal(ipv6Src(v6, data), '2001:db8::1');
    assert.equal(ipv6Dst(v6, data), 'fe80::2');
    assert.equal(udp.kind, 'udp');
  });

  test('hop-by-hop, routing, destination options, fragment as separate layers', () => {
    const hop = '2b 00 0104 00000000'; // next 43 (routing), len 0 (8 bytes), PadN
    const routing = '3c 02 00 01 00000000' + V6_DST; // next 60, len 2 (24 bytes), type 0, segments left 1
    const dst = '2c 00 0104 00000000'; // next 44 (fragment), 8 bytes
    const frag = '11 00 0000 abcdef01'; // next UDP, offset 0, M clear, id 0xabcdef01
    const udp = '0001 0002 0008 0000';
    const layers = raw(ipv6('0040', '00'), hop, routing, dst, frag, udp);
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ipv6', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.dstopts', 'ipv6.fragment', 'udp'],
    );
    const r = layers[2] as Ipv6ExtLayer;
    assert.deepEqual([r.headerLength, r.routingType, r.segmentsLeft, r.nextHeader], [24, 0, 1, 60]);
    const f = layers[4] as Ipv6FragmentLayer;
    assert.deepEqual([f.identification, f.fragmentOffset, f.moreFragments], [0xabcdef01, 0, false]);
  });

  test('non-first IPv6 fragment ends the walk', () => {
    // offset 185 (x8 = 1480), M set: 0x05c9.
    const layers = raw(ipv6('0010', '2c'), '11 00 05c9 00000001', '0001 0002 0008 0000');
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ipv6', 'ipv6.fragment'],
    );
    const f = layers[1] as Ipv6FragmentLayer;
    assert.deepEqual([f.fragmentOffset, f.moreFragments], [1480, true]);
  });

  test('ESP ends decoding; no-next-header (59) ends decoding', () => {
    const esp = raw(ipv6('0010', '32'), '00001000 00000001 0102030405060708');
    assert.deepEqual(
      esp.map((l) => l.kind),
      ['ipv6', 'esp'],
    );
    assert.deepEqual([(esp[1] as EspLayer).spi, (esp[1] as EspLayer).sequence], [0x1000, 1]);
    assert.deepEqual(
      raw(ipv6('0000', '3b')).map((l) => l.kind),
      ['ipv6'],
    );
  });

  test('extension header longer than the packet is truncated; bad version is an anomaly', () => {
    const layers = raw(ipv6('0010', '00'), '11 05 0000 00000000');
    assert.equal(layers[1].kind, 'ipv6.hopopts');
    assert.equal(layers[1].truncated, true);
    assert.equal(
      decodePacket(hexBytes('4' + ipv6('0000', '3b').slice(1)), 229)[0].anomaly,
      'ipv6.bad_version',
    );
  });

  test('jumbogram: payload length 0 with hop-by-hop uses the captured bytes', () => {
    const hop = '11 00 c204 00010008'; // jumbo payload option (type 0xc2, len 4) claiming 65544
    const layers = raw(ipv6('0000', '00'), hop, '0001 0002 0008 0000');
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ipv6', 'ipv6.hopopts', 'udp'],
    );
    assert.equal(layers[0].truncated, false);
  });
});
