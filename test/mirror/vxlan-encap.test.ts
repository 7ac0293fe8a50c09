import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePacket } from '../../src/decode/index.js';
import { firstIpLayer } from '../../src/mirror/packet-key.js';
import {
  frameLength,
  frameSourceOf,
  writeFrame,
  writeVxlanHeader,
  type FrameSource,
} from '../../src/mirror/vxlan-encap.js';
import { createCaptureWriter, readCaptureBuffer } from '../../src/pcap/index.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { UDP, ipv4, ipv6, l4 } from './packets.js';

function header(vni: number): number[] {
  const out = new Uint8Array(8).fill(0xee);
  writeVxlanHeader(out, 0, vni);
  return [...out];
}

/** The whole Ethernet frame the mirror would send for a captured packet. */
function ethernetFrame(data: Uint8Array, linkType: number, length = Infinity): number[] {
  const source: FrameSource = { native: false, payloadOffset: 0, etherType: 0, srcMacOffset: -1 };
  assert.ok(frameSourceOf(linkType, decodePacket(data, linkType), source));
  const kept = Math.min(frameLength(data, source), length);
  const out = new Uint8Array(kept);
  writeFrame(data, source, out, 0, kept);
  return [...out];
}

describe('VXLAN header (RFC 7348 §5)', () => {
  test('flags 0x08, 24 reserved bits, the 24-bit VNI in network order, 8 reserved bits', () => {
    // Hand-checked: byte 0 = I flag; bytes 4..6 = VNI big-endian; everything else zero.
    assert.deepEqual(header(0), [0x08, 0, 0, 0, 0x00, 0x00, 0x00, 0]);
    assert.deepEqual(header(1), [0x08, 0, 0, 0, 0x00, 0x00, 0x01, 0]);
    assert.deepEqual(header(0xabcdef), [0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0]);
    assert.deepEqual(header(16777215), [0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0]);
  });
});

describe('the inner Ethernet frame', () => {
  const ip4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: UDP, payload: l4(UDP, 1000, 53, 4) });
  const mac = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];

  test('Ethernet captures are sent as captured, cut to the length', () => {
    const frame = Uint8Array.from([...new Array(12).fill(7), 0x08, 0x00, ...ip4]);
    assert.deepEqual(ethernetFrame(frame, 1), [...frame]);
    assert.deepEqual(ethernetFrame(frame, 1, 20), [...frame.subarray(0, 20)]);
  });

  test('SLL: zero destination, the 6-byte link address as source, the SLL protocol as ethertype', () => {
    // packet type 4 (outgoing), ARPHRD_ETHER, address length 6, address + 2 pad bytes, protocol 0x0800.
    const sll = Uint8Array.from([0, 4, 0, 1, 0, 6, ...mac, 0, 0, 0x08, 0x00, ...ip4]);
    assert.deepEqual(ethernetFrame(sll, 113), [0, 0, 0, 0, 0, 0, ...mac, 0x08, 0x00, ...ip4]);
    // The synthesised header itself can be cut.
    assert.deepEqual(ethernetFrame(sll, 113, 10), [0, 0, 0, 0, 0, 0, 0x00, 0x11, 0x22, 0x33]);
  });

  test('SLL2 with no 6-byte address: zero MACs', () => {
    const ip6 = ipv6('2001:db8::1', '2001:db8::2', UDP, l4(UDP, 1, 2));
    // protocol 0x86dd, reserved, ifindex 2, ARPHRD_LOOPBACK (772), packet type 0, address length 0.
    const sll2 = Uint8Array.from([
      0x86,
      0xdd,
      0,
      0,
      0,
      0,
      0,
      2,
      0x03,
      0x04,
      0,
      0,
      ...new Array(8).fill(0),
      ...ip6,
    ]);
    assert.deepEqual(ethernetFrame(sll2, 276), [...new Array(12).fill(0), 0x86, 0xdd, ...ip6]);
  });

  test('raw IP, BSD NULL and LINKTYPE_IPV4: ethertype from the IP version', () => {
    const zeros = new Array(12).fill(0);
    assert.deepEqual(ethernetFrame(Uint8Array.from(ip4), 101), [...zeros, 0x08, 0x00, ...ip4]);
    assert.deepEqual(ethernetFrame(Uint8Array.from(ip4), 228), [...zeros, 0x08, 0x00, ...ip4]);
    const ip6 = ipv6('::1', '::1', UDP, l4(UDP, 1, 2));
    // AF_INET6 as macOS writes it (30), little-endian.
    assert.deepEqual(ethernetFrame(Uint8Array.from([30, 0, 0, 0, ...ip6]), 0), [
      ...zeros,
      0x86,
      0xdd,
      ...ip6,
    ]);
  });

  test('tshark agrees on every IP frame of a real SLL capture turned into Ethernet', async () => {
    const input = corpusPcap('pcapplusplus__sll.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'mirror-encap-'));
    try {
      const out = join(dir, 'eth.pcap');
      const writer = createCaptureWriter(out, { format: 'pcap' });
      for (const r of readCaptureBuffer(new Uint8Array(readFileSync(input))).records) {
        if (firstIpLayer(decodePacket(r.data, r.linkType)) < 0) continue;
        const data = Uint8Array.from(ethernetFrame(r.data, r.linkType));
        writer.write({ ...r, data, origLen: data.length, linkType: 1 });
      }
      await writer.close();
      const sllRows = tsharkRows(input, ['sll.src.eth', 'sll.etype'], 'ip || ipv6');
      const ethRows = tsharkRows(out, ['eth.src', 'eth.type'], 'frame');
      assert.ok(sllRows.length > 400, `${sllRows.length} IP frames`);
      assert.equal(ethRows.length, sllRows.length);
      for (let i = 0; i < sllRows.length; i++) {
        const [src, type, len, ...ip] = sllRows[i].split('\t');
        // The 16-byte SLL header is replaced by a 14-byte Ethernet header.
        assert.deepEqual(
          ethRows[i].split('\t'),
          [src, type, String(Number(len) - 2), ...ip],
          `IP frame ${i + 1}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Link fields, frame length and IP/port fields of every frame passing `filter`. */
function tsharkRows(path: string, linkFields: string[], filter: string): string[] {
  const ipFields = ['ip.src', 'ip.dst', 'ip.id', 'ipv6.src', 'ipv6.dst', 'udp.srcport', 'tcp.srcport'];
  const args = ['-r', path, '-Y', filter, '-T', 'fields'];
  for (const f of [...linkFields, 'frame.len', ...ipFields]) args.push('-e', f);
  return runTool('tshark', args).trim().split('\n');
}
