import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createDefaultRegistry, decodePacket, linkTypeName, MAX_LAYERS } from '../../src/decode/index.js';
import { formatIpv4, formatIpv4At, formatIpv6 } from '../../src/decode/format.js';
import { formatPacketLine, summarizePacket } from '../../src/decode/summary.js';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { corpusPcap } from '../helpers/corpus.js';
import { execFileSync } from 'node:child_process';
import { ethernetHeader, hexBytes, VPP_IPV4, VPP_TCP } from './bytes.js';

describe('decodePacket walk', () => {
  test('depth limit: 40 chained hop-by-hop headers stop at 32 layers with packet.depth_limit', () => {
    const hop = '00 00 0104 00000000'; // next header 0 again: a loop of options headers
    const data = hexBytes('60000000 0140 00 40', '00'.repeat(32), hop.repeat(40));
    const layers = decodePacket(data, 229);
    assert.equal(layers.length, MAX_LAYERS + 1);
    const last = layers[MAX_LAYERS];
    assert.deepEqual([last.kind, last.anomaly], ['packet', 'packet.depth_limit']);
    assert.equal(last.payloadEnd, data.length);
  });

  test('an unregistered key ends the walk; the last payload is the rest', () => {
    const data = hexBytes(ethernetHeader('88b5'), 'deadbeef');
    const layers = decodePacket(data, 1);
    assert.equal(layers.length, 1);
    assert.deepEqual([layers[0].payloadOffset, layers[0].payloadEnd], [14, 18]);
  });

  test('a custom registry and a reused output array', () => {
    const registry = createDefaultRegistry();
    const out = decodePacket(hexBytes(VPP_IPV4, VPP_TCP), 228, registry, []);
    assert.equal(out.length, 2);
    assert.equal(decodePacket(hexBytes(ethernetHeader('88b5')), 1, registry, out), out);
    assert.equal(out.length, 1);
  });

  test('linkTypeName', () => {
    assert.equal(linkTypeName(1), 'EN10MB');
    assert.equal(linkTypeName(276), 'LINUX_SLL2');
    assert.equal(linkTypeName(9999), 'LINKTYPE_9999');
  });
});

describe('formatIpv6 follows RFC 5952 (section 4 examples)', () => {
  const cases: [string, string][] = [
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // first of two equal runs
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // a single 0 group is not shortened
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['fe800000000000008c3606fffe44acaf', 'fe80::8c36:6ff:fe44:acaf'],
  ];
  for (const [hex, text] of cases) test(text, () => assert.equal(formatIpv6(hexBytes(hex), 0), text));

  test('agrees with the WHATWG URL serializer (same rules but for IPv4-mapped), again after other addresses (recent ones are cached)', () => {
    // Addresses with many zero groups, so runs of every length and position occur; far
    // more of them than a cache could hold, each spelled twice with others between.
    const addresses = fc.sample(
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
        minLength: 8,
        maxLength: 8,
      }),
      { numRuns: 5_000, seed: 5952 },
    );
    const bytesOf = (groups: number[]) => new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
    const mapped = (g: number[]) => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
    for (const groups of [...addresses, ...addresses.reverse()]) {
      if (mapped(groups)) continue;
      const full = groups.map((g) => g.toString(16)).join(':');
      const expected = new URL(`http://[${full}]/`).hostname.slice(1, -1);
      assert.equal(formatIpv6(Uint8Array.of(7, ...bytesOf(groups)), 1), expected, full);
    }
  });
});

describe('formatIpv4', () => {
  test('dotted quads come back exact whatever was formatted between (recent ones are cached)', () => {
    // Far more addresses than a cache could hold, in two orders, by number and from bytes.
    const octets = (i: number): number[] => [(i * 37) & 0xff, i >> 8, i & 0xff, 255 - (i & 0xff)];
    const indexes = Array.from({ length: 20_000 }, (_, i) => i);
    for (const i of [...indexes, ...indexes.reverse()]) {
      const [a, b, c, d] = octets(i);
      const text = `${a}.${b}.${c}.${d}`;
      assert.equal(formatIpv4(((a << 24) | (b << 16) | (c << 8) | d) >>> 0), text);
      assert.equal(formatIpv4At(new Uint8Array([9, a, b, c, d]), 1), text);
    }
    assert.equal(formatIpv4(0), '0.0.0.0');
    assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  });
});

describe('summary', () => {
  test('VXLAN: innermost IP, tunneled flag, ports and tcpdump flags', () => {
    const inner = `${ethernetHeader('0800')} ${VPP_IPV4} ${VPP_TCP}`;
    const vx = `08000000 00006400 ${inner}`;
    const udpLength = 8 + hexBytes(vx).length;
    const outer = `4500 ${(20 + udpLength).toString(16).padStart(4, '0')} 0000 0000 4011 0000 c0a80001 c0a80002`;
    const data = hexBytes(outer, `b05d 12b5 ${udpLength.toString(16).padStart(4, '0')} 0000`, vx);
    const s = summarizePacket(decodePacket(data, 228), data);
    assert.deepEqual(
      [s.l3, s.src, s.dst, s.tunneled, s.proto, s.sport, s.dport, s.tcpFlags],
      ['ipv4', '10.1.2.3', '172.30.1.2', true, 'tcp', 80, 58430, 'F.'],
    );
  });
});

/**
 * formatPacketLine against live `tcpdump -n -S -r` (absolute sequence numbers: a single
 * packet cannot know its connection's ISN). tcpdump goes on to describe application data
 * (HTTP, DNS...), which we do not, so each tcpdump line must start with ours.
 */
describe('formatPacketLine matches tcpdump -n -S', () => {
  const files = [
    'tcpdump__tcp-handshake-nano.pcap',
    'tcpdump__vxlan.pcap',
    'pcapplusplus__four_ipv6_http_streams.pcap',
    'zeek__vlan-qinqinq.pcap',
    'tcpdump__802.1ad_QinQ.pcap',
  ];
  for (const name of files) {
    test(name, () => {
      const path = corpusPcap(name);
      const env = { ...process.env, TZ: 'UTC' };
      const stdout = execFileSync('tcpdump', ['-n', '-S', '-r', path], {
        encoding: 'utf8',
        env,
        stdio: 'pipe',
      });
      const expected = stdout.trimEnd().split('\n');
      const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
      const ours = records.flatMap((r) => formatPacketLine(r, decodePacket(r.data, r.linkType)).split('\n'));
      assert.equal(ours.length, expected.length);
      ours.forEach((line, i) =>
        assert.ok(expected[i].startsWith(line), `line ${i + 1}:\n ours ${line}\n tcpdump ${expected[i]}`),
      );
    });
  }
});
