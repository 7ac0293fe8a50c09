import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../src/decode/index.js';
import type { EthernetLayer } from '../../src/decode/ethernet.js';
import type { VlanLayer } from '../../src/decode/vlan.js';
import type { SllLayer } from '../../src/decode/sll.js';
import type { NullLayer } from '../../src/decode/null.js';
import type { Ipv4Layer } from '../../src/decode/ipv4.js';
import type { ArpLayer } from '../../src/decode/arp.js';
import { ethernetTraceLines } from '../../src/decode/ethernet.js';
import { formatIpv4, formatMac } from '../../src/decode/format.js';
import { ethernetHeader, hexBytes, VPP_IPV4, VPP_TCP } from './bytes.js';

const kinds = (data: Uint8Array, linkType: number) => decodePacket(data, linkType).map((l) => l.kind);

describe('link layers', () => {
  test('Ethernet II: MACs as offsets, ethertype, VPP-style trace line', () => {
    const data = hexBytes(ethernetHeader('0800'), VPP_IPV4, VPP_TCP);
    const layers = decodePacket(data, 1);
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ethernet', 'ipv4', 'tcp'],
    );
    const eth = layers[0] as EthernetLayer;
    assert.equal(eth.etherType, 0x0800);
    assert.equal(formatMac(data, eth.dstOffset), '00:11:22:33:44:55');
    assert.equal(formatMac(data, eth.srcOffset), '66:77:88:99:aa:bb');
    assert.deepEqual(ethernetTraceLines(eth, data), ['IP4: 66:77:88:99:aa:bb -> 00:11:22:33:44:55']);
  });

  test('Ethernet padding is not IP payload (total length bounds it)', () => {
    // 20-byte IPv4 header + 32-byte TCP = 52 bytes, then 6 bytes of padding to reach 60 (+14).
    const data = hexBytes(ethernetHeader('0800'), VPP_IPV4, VPP_TCP, '000000000000');
    const [, ip, tcp] = decodePacket(data, 1);
    assert.equal(ip.payloadEnd, 14 + 52);
    assert.equal(tcp.payloadOffset, 14 + 52);
    assert.equal(tcp.payloadEnd, 14 + 52);
    assert.equal(ip.truncated, false);
  });

  test('802.3 length frame carries LLC and ends the walk', () => {
    // length 0x0006, then LLC DSAP/SSAP/control aa aa 03 and 3 bytes, then 2 bytes of padding.
    const data = hexBytes(ethernetHeader('0006'), 'aaaa03 000000', 'ffff');
    const layers = decodePacket(data, 1);
    assert.equal(layers.length, 1);
    const eth = layers[0] as EthernetLayer;
    assert.equal(eth.isLength, true);
    assert.equal(eth.payloadEnd, 14 + 6);
    assert.equal(eth.next, null);
  });

  test('QinQ: 802.1ad outer, 802.1Q inner, 0x9100 and triple stacking', () => {
    // outer 88a8 TCI 0x2064 (prio 1, vid 100); inner 8100 TCI 0x00c8 (vid 200); 9100 TCI 0x0fff; then ARP.
    const arp = '0001 0800 06 04 0001 66778899aabb 0a000001 000000000000 0a000002';
    const data = hexBytes(ethernetHeader('88a8'), '2064 8100', '00c8 9100', '1fff 0806', arp);
    const layers = decodePacket(data, 1);
    assert.deepEqual(
      layers.map((l) => l.kind),
      ['ethernet', 'vlan', 'vlan', 'vlan', 'arp'],
    );
    const [outer, inner, third] = layers.slice(1, 4) as VlanLayer[];
    assert.deepEqual([outer.tpid, outer.priority, outer.vlanId], [0x88a8, 1, 100]);
    assert.deepEqual([inner.tpid, inner.vlanId, inner.etherType], [0x8100, 200, 0x9100]);
    assert.deepEqual([third.tpid, third.dropEligible, third.vlanId], [0x9100, true, 0xfff]);
    const a = layers[4] as ArpLayer;
    assert.equal(a.operation, 1);
    assert.equal(formatIpv4(a.senderIpv4), '10.0.0.1');
    assert.equal(formatIpv4(a.targetIpv4), '10.0.0.2');
  });

  test('Linux SLL (v1): 16-byte header, outgoing, 6-byte address', () => {
    // packet type 4 (outgoing), ARPHRD 1, addr len 6, address + 2 pad bytes, protocol 0x0800.
    const data = hexBytes('0004 0001 0006 66778899aabb 0000 0800', VPP_IPV4, VPP_TCP);
    const layers = decodePacket(data, 113);
    const sll = layers[0] as SllLayer;
    assert.deepEqual([sll.kind, sll.packetType, sll.arphrdType, sll.addressLength], ['sll', 4, 1, 6]);
    assert.equal(formatMac(data, sll.addressOffset), '66:77:88:99:aa:bb');
    assert.equal(layers[1].offset, 16);
    assert.equal(layers[2].kind, 'tcp');
  });

  test('Linux SLL2: protocol first, interface index, 20-byte header', () => {
    // protocol 0x86dd, reserved, ifindex 7, ARPHRD 772 (loopback), packet type 0, addr len 6, 8 addr bytes.
    const ipv6 = '60000000 0000 3b 40' + '00000000000000000000000000000001'.repeat(2);
    const data = hexBytes('86dd 0000 00000007 0304 00 06 000000000000 0000', ipv6);
    const layers = decodePacket(data, 276);
    const sll = layers[0] as SllLayer;
    assert.deepEqual([sll.kind, sll.protocol, sll.interfaceIndex, sll.arphrdType], ['sll2', 0x86dd, 7, 772]);
    assert.equal(layers[1].kind, 'ipv6');
    assert.equal(layers[1].offset, 20);
  });

  test('SLL netlink capture (ARPHRD 824) ends the walk', () => {
    const data = hexBytes('0004 0338 0000 0000000000000000 0000', '1400000010000000');
    assert.deepEqual(kinds(data, 113), ['sll']);
  });

  test('NULL: AF value in either byte order; AF_INET6 as 24, 28, 30', () => {
    const ip = VPP_IPV4 + VPP_TCP;
    const little = decodePacket(hexBytes('02000000', ip), 0);
    const big = decodePacket(hexBytes('00000002', ip), 0);
    assert.deepEqual(
      little.map((l) => l.kind),
      ['null', 'ipv4', 'tcp'],
    );
    assert.deepEqual(
      big.map((l) => l.kind),
      ['null', 'ipv4', 'tcp'],
    );
    assert.equal((little[0] as NullLayer).bigEndian, false);
    assert.equal((big[0] as NullLayer).bigEndian, true);
    const ipv6 = '60000000 0000 3b 40' + '00'.repeat(32);
    for (const af of ['18000000', '1c000000', '1e000000', '0000001e']) {
      assert.deepEqual(kinds(hexBytes(af, ipv6), 0), ['null', 'ipv6'], af);
    }
  });

  test('NULL with an unknown family is an anomaly; LOOP is always big-endian', () => {
    const unknown = decodePacket(hexBytes('07000000', 'ffff'), 0);
    assert.equal(unknown[0].anomaly, 'null.unknown_family');
    // The IPv4 header claims 52 bytes but only its 20 are present: the TCP layer is truncated.
    const loop = decodePacket(hexBytes('00000002', VPP_IPV4), 108);
    assert.deepEqual(
      loop.map((l) => [l.kind, l.truncated]),
      [
        ['loop', false],
        ['ipv4', true],
        ['tcp', true],
      ],
    );
    // Little-endian 2 under LOOP reads as 0x02000000: not a family.
    assert.equal(decodePacket(hexBytes('02000000', VPP_IPV4), 108)[0].anomaly, 'loop.unknown_family');
  });

  test('raw IP link types: version nibble, LINKTYPE_IPV4/IPV6 straight to IP', () => {
    const v4 = hexBytes(VPP_IPV4, VPP_TCP);
    for (const lt of [101, 12, 14]) assert.deepEqual(kinds(v4, lt), ['raw', 'ipv4', 'tcp'], String(lt));
    assert.deepEqual(kinds(v4, 228), ['ipv4', 'tcp']);
    const v6 = hexBytes('60000000 0000 3b 40' + '00'.repeat(32));
    assert.deepEqual(kinds(v6, 229), ['ipv6']);
    assert.equal(decodePacket(hexBytes('5000'), 101)[0].anomaly, 'raw.bad_version');
  });

  test('short frames are truncated, never thrown', () => {
    const eth = decodePacket(hexBytes('00112233'), 1);
    assert.equal(eth.length, 1);
    assert.equal(eth[0].truncated, true);
    assert.deepEqual(decodePacket(new Uint8Array(0), 113)[0].truncated, true);
    assert.deepEqual(decodePacket(new Uint8Array(3), 0)[0].truncated, true);
  });

  test('unknown link type decodes nothing', () => {
    assert.deepEqual(decodePacket(hexBytes('00'), 253), []);
  });

  test('ipv4 layer starts where the link header ends', () => {
    const data = hexBytes(ethernetHeader('0800'), VPP_IPV4, VPP_TCP);
    const ip = decodePacket(data, 1)[1] as Ipv4Layer;
    assert.equal(ip.offset, 14);
  });
});
