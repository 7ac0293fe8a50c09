import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/decode/index.js';
import { tcpSackBlock, tcpTraceLines, type TcpLayer } from '../../src/decode/tcp.js';
import type { UdpLayer } from '../../src/decode/udp.js';
import type { IcmpLayer } from '../../src/decode/icmp.js';
import { sctpChunks, type SctpLayer } from '../../src/decode/sctp.js';
import type { VxlanLayer } from '../../src/decode/vxlan.js';
import type { Ipv4Layer } from '../../src/decode/ipv4.js';
import { formatIpv4 } from '../../src/decode/format.js';
import type { NextLayer } from '../../src/decode/layer.js';
import { ethernetHeader, hexBytes } from './bytes.js';

/** The registry, key and alternative key of a next-layer pointer (its codes are derived from them). */
function pointer(next: NextLayer | null): Pick<NextLayer, 'registry' | 'key' | 'altKey'> | null {
  return next === null ? null : { registry: next.registry, key: next.key, altKey: next.altKey };
}

/** IPv4 header (checksum left 0: these tests are about L4) with protocol and total length. */
const ip4 = (proto: string, totalLength: number) =>
  `4500 ${totalLength.toString(16).padStart(4, '0')} 0000 4000 40${proto} 0000 c0a80001 c0a80002`;
const l4 = (proto: string, ...hex: string[]) => {
  const body = hexBytes(...hex);
  const data = hexBytes(ip4(proto, 20 + body.length), ...hex);
  return { data, layers: decodePacket(data, 228) };
};

describe('TCP', () => {
  test('SYN options: MSS, SACK permitted, timestamps, NOP, window scale', () => {
    // Options as in tcpdump's handshake capture: mss 1360, sackOK, TS val 1131021154 ecr 0, nop, wscale 7.
    const tcp = 'b640 0050 2f842acb 00000000 a002 6a40 50c4 0000';
    const opts = '020405500402080a436a0362000000000103 0307';
    const { data, layers } = l4('06', tcp, opts);
    const t = layers[1] as TcpLayer;
    assert.deepEqual(
      [t.srcPort, t.dstPort, t.seq, t.flags, t.window, t.dataOffset],
      [46656, 80, 797190859, 2, 27200, 10],
    );
    assert.deepEqual([t.mss, t.windowScale, t.sackPermitted, t.hasTimestamps], [1360, 7, true, true]);
    assert.deepEqual([t.tsVal, t.tsEcr, t.otherOptions], [1131021154, 0, 0]);
    assert.equal(t.next, null, 'no payload, no next layer');
    assert.equal(tcpTraceLines(t, data)[4], 'options: mss 1360,sackOK,TS val 1131021154 ecr 0,nop,wscale 7');
  });

  test('SACK blocks are read from the packet; unknown options are kept raw', () => {
    // nop nop, SACK with 2 blocks {1000:2000}{3000:4000}, option kind 30 length 4 (MPTCP-ish), eol + pad.
    const tcp = '0400 0050 00000001 00000002 c010 0100 0000 0000';
    const opts = '0101 0512 000003e8000007d0 00000bb800000fa0 1e04abcd 00000000';
    const { data, layers } = l4('06', tcp, opts, '68656c6c6f');
    const t = layers[1] as TcpLayer;
    assert.equal(t.sackBlocks, 2);
    assert.deepEqual(tcpSackBlock(t, data, 0), [1000, 2000]);
    assert.deepEqual(tcpSackBlock(t, data, 1), [3000, 4000]);
    assert.equal(t.otherOptions, 1);
    assert.equal(t.payloadEnd - t.payloadOffset, 5);
    assert.deepEqual(pointer(t.next), { registry: 'tcpport', key: 80, altKey: 1024 });
  });

  test('bad data offset and bad option length are anomalies; a cut header is truncated', () => {
    const bad = l4('06', '0400 0050 00000001 00000002 4010 0100 0000 0000').layers[1];
    assert.equal(bad.anomaly, 'tcp.bad_data_offset');
    const badOpt = l4('06', '0400 0050 00000001 00000002 6010 0100 0000 0000', '02 09 0000').layers[1];
    assert.equal(badOpt.anomaly, 'tcp.bad_option_length');
    const cut = l4('06', '0400 0050 0000').layers[1];
    assert.deepEqual([cut.truncated, cut.headerLength], [true, 6]);
    // Header claims 32 bytes, 24 present.
    const short = l4('06', '0400 0050 00000001 00000002 8010 0100 0000 0000', '01010101').layers[1];
    assert.equal(short.truncated, true);
  });
});

describe('UDP, ICMP, ICMPv6', () => {
  test('UDP length bounds the payload; next by destination then source port', () => {
    const { layers } = l4('11', 'd431 0035 000c 1234', 'abcdabcd');
    const u = layers[1] as UdpLayer;
    assert.deepEqual([u.srcPort, u.dstPort, u.length, u.checksum], [54321, 53, 12, 0x1234]);
    assert.deepEqual([u.payloadOffset, u.payloadEnd], [28, 32]);
    assert.deepEqual(pointer(u.next), { registry: 'udpport', key: 53, altKey: 54321 });
    assert.equal(l4('11', '0001 0002 0004 0000').layers[1].anomaly, 'udp.bad_length');
  });

  test('ICMP echo has id/seq, errors do not and are not decoded further', () => {
    const echo = l4('01', '08 00 f6f2 050c 0001', '00'.repeat(8)).layers[1] as IcmpLayer;
    assert.deepEqual([echo.type, echo.code, echo.hasId, echo.id, echo.seq], [8, 0, true, 1292, 1]);
    const unreachable = l4('01', '03 03 0000 00000000', ip4('11', 28), '0001000200080000').layers;
    assert.equal(unreachable.length, 2);
    assert.equal((unreachable[1] as IcmpLayer).hasId, false);
  });

  test('ICMPv6 echo request over IPv6', () => {
    const v6 = '60000000 0008 3a 40' + '00000000000000000000000000000001'.repeat(2);
    const layers = decodePacket(hexBytes(v6, '80 00 d3ab 0009 0001'), 229);
    const icmp = layers[1] as IcmpLayer;
    assert.deepEqual([icmp.kind, icmp.type, icmp.id, icmp.seq], ['icmpv6', 128, 9, 1]);
  });
});

describe('SCTP', () => {
  test('common header, chunk list, first DATA chunk exposed as payload', () => {
    // ports 36412 -> 36412, vtag 0x01020304, crc 0; SACK chunk (type 3, 16 bytes);
    // DATA chunk: flags 03, length 16+5=21 (padded to 24), TSN 7, stream 1, ssn 2, PPID 18, "hello".
    const sack = '03 00 0010 00000006 00010000 00000000';
    const dataChunk = '00 03 0015 00000007 0001 0002 00000012 68656c6c6f 000000';
    const { layers } = l4('84', '8e3c 8e3c 01020304 00000000', sack, dataChunk);
    const s = layers[1] as SctpLayer;
    assert.deepEqual([s.srcPort, s.dstPort, s.verificationTag, s.chunkCount], [36412, 36412, 0x01020304, 2]);
    assert.deepEqual([s.dataTsn, s.dataStreamId, s.dataStreamSeq, s.dataPpid], [7, 1, 2, 18]);
    assert.deepEqual([s.payloadOffset, s.payloadEnd], [20 + 12 + 16 + 16, 20 + 12 + 16 + 21]);
    assert.deepEqual(
      sctpChunks(s, hexBytes(ip4('84', 0), '8e3c 8e3c 01020304 00000000', sack, dataChunk)).map(
        (c) => c.type,
      ),
      [3, 0],
    );
    assert.deepEqual(pointer(s.next), { registry: 'sctpport', key: 36412, altKey: 36412 });
  });

  test('a chunk length below 4 is an anomaly', () => {
    const { layers } = l4('84', '0001 0002 00000000 00000000', '01 00 0002');
    assert.equal(layers[1].anomaly, 'sctp.bad_chunk_length');
  });
});

describe('VXLAN', () => {
  test('UDP 4789 -> VXLAN -> inner Ethernet/IPv4/ICMP via the linktype registry', () => {
    // Outer: Ethernet, IPv4 proto 17, UDP 45149 -> 4789; VXLAN flags 0x08, VNI 100; inner Ethernet, IPv4
    // 192.168.203.3 -> 192.168.203.5, ICMP echo (the first packet of tcpdump's vxlan.pcap, shortened).
    const inner = `${ethernetHeader('0800')} 4500 001c 0000 4000 4001 0000 c0a8cb03 c0a8cb05 0800 0000 050c 0001`;
    const vx = `08000000 00006400 ${inner}`;
    const udpLength = 8 + hexBytes(vx).length;
    const udp = `b05d 12b5 ${udpLength.toString(16).padStart(4, '0')} 0000`;
    const data = hexBytes(ethernetHeader('0800'), ip4('11', 20 + udpLength), udp, vx);
    const layers = decodePacket(data, 1);
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp'],
    );
    const v = layers[3] as VxlanLayer;
    assert.deepEqual([v.flags, v.vni, v.anomaly], [0x08, 100, null]);
    assert.equal(formatIpv4((layers[5] as Ipv4Layer).src), '192.168.203.3');
  });

  test('VXLAN without the I flag is flagged but still decoded', () => {
    const data = hexBytes(
      ip4('11', 20 + 8 + 8 + 14),
      '0001 12b5 001e 0000',
      '00000000 00000100',
      ethernetHeader('9999'),
    );
    const layers = decodePacket(data, 228);
    assert.equal(layers[2].anomaly, 'vxlan.bad_flags');
    assert.equal(layers[3].kind, 'ethernet');
  });
});
