import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { decodePacket } from '../../src/decode/index.js';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { decapVxlan, vxlanVni } from '../../src/mirror/vxlan-decap.js';
import { corpusPcap } from '../helpers/corpus.js';

/** A 14-byte Ethernet header: dst 02:00:00:00:00:01, src 02:00:00:00:00:02, type 0x0800 (IPv4). */
const INNER_ETHERNET = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];

function bytes(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

describe('decapVxlan on hand-checked headers (RFC 7348 section 5)', () => {
  test('flags 0x08, VNI 0x00007b = 123 in bytes 4..6: the inner frame is everything after byte 8', () => {
    const payload = bytes([0x08, 0, 0, 0, 0x00, 0x00, 0x7b, 0x00], INNER_ETHERNET, [0xde, 0xad]);
    const frame = decapVxlan(payload, null);
    assert.ok(frame instanceof Uint8Array);
    assert.deepEqual([...frame], [...INNER_ETHERNET, 0xde, 0xad]);
    assert.equal(vxlanVni(payload), 123);
    assert.equal(decapVxlan(payload, 123) instanceof Uint8Array, true);
  });

  test('the frame is a view into the payload, not a copy', () => {
    const payload = bytes([0x08, 0, 0, 0, 0, 0, 1, 0], INNER_ETHERNET);
    const frame = decapVxlan(payload, 1) as Uint8Array;
    assert.equal(frame.buffer, payload.buffer);
    assert.equal(frame.byteOffset, payload.byteOffset + 8);
  });

  test('VNI 0xabcdef = 11259375 and the largest VNI 0xffffff = 16777215; byte 7 is not part of it', () => {
    assert.equal(vxlanVni(bytes([0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0x55])), 11_259_375);
    assert.equal(vxlanVni(bytes([0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])), 16_777_215);
    assert.equal(vxlanVni(bytes([0x08, 0xff, 0xff, 0xff, 0, 0, 0, 0xff])), 0);
  });

  test('reserved bits set (flags 0xff, bytes 1-3 and 7 nonzero) are ignored on receipt', () => {
    const payload = bytes([0xff, 0x12, 0x34, 0x56, 0x00, 0x00, 0x2a, 0x99], INNER_ETHERNET);
    const frame = decapVxlan(payload, 42);
    assert.ok(frame instanceof Uint8Array);
    assert.equal(frame.length, 14);
  });

  test('fewer than 8 bytes: too_short (0 and 7 bytes)', () => {
    assert.equal(decapVxlan(new Uint8Array(0), null), 'too_short');
    assert.equal(decapVxlan(bytes([0x08, 0, 0, 0, 0, 0, 1]), null), 'too_short');
  });

  test('I flag clear (flags 0x00, and 0xf7 = every bit but I): no_vni_flag, whatever VNI is wanted', () => {
    assert.equal(decapVxlan(bytes([0x00, 0, 0, 0, 0, 0, 1, 0], INNER_ETHERNET), null), 'no_vni_flag');
    assert.equal(decapVxlan(bytes([0xf7, 0, 0, 0, 0, 0, 1, 0], INNER_ETHERNET), 1), 'no_vni_flag');
  });

  test('a header with less than a 14-byte Ethernet header after it: inner_too_short (8 and 21 bytes)', () => {
    assert.equal(decapVxlan(bytes([0x08, 0, 0, 0, 0, 0, 1, 0]), null), 'inner_too_short');
    const short = bytes([0x08, 0, 0, 0, 0, 0, 1, 0], INNER_ETHERNET.slice(0, 13));
    assert.equal(decapVxlan(short, 1), 'inner_too_short');
    assert.ok(decapVxlan(bytes([0x08, 0, 0, 0, 0, 0, 1, 0], INNER_ETHERNET), 1) instanceof Uint8Array);
  });

  test('another VNI than the wanted one: wrong_vni; malformation is reported first', () => {
    const vni7 = bytes([0x08, 0, 0, 0, 0, 0, 7, 0], INNER_ETHERNET);
    assert.equal(decapVxlan(vni7, 8), 'wrong_vni');
    assert.equal(decapVxlan(vni7, 0), 'wrong_vni');
    assert.equal(decapVxlan(bytes([0x08, 0, 0, 0, 0, 0, 7, 0]), 8), 'inner_too_short');
  });
});

const run = promisify(execFile);

/**
 * tshark's view of each VXLAN packet of a corpus capture: the VNI, the outer UDP length (first
 * occurrence: the inner frame may carry UDP too) and the inner Ethernet header (last occurrence).
 */
async function tsharkVxlanRows(path: string): Promise<string[][]> {
  const fields = ['vxlan.vni', 'udp.length', 'eth.dst', 'eth.src', 'eth.type'];
  const args = ['-r', path, '-Y', 'vxlan', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;'];
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args, { maxBuffer: 64 << 20 });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t').map((all, i) => (i < 2 ? all.split(';')[0] : all.split(';').at(-1)!)));
}

function mac(data: Uint8Array, at: number): string {
  return [...data.subarray(at, at + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Our view of the same packets: the UDP payload to port 4789 (found by the project's decoder) through decapVxlan. */
function decapRows(path: string): string[][] {
  const rows: string[][] = [];
  for (const record of readCaptureBuffer(new Uint8Array(readFileSync(path))).records) {
    const udp = decodePacket(record.data, record.linkType).find((l) => l.kind === 'udp');
    if (udp === undefined) continue;
    const payload = record.data.subarray(udp.payloadOffset, udp.payloadEnd);
    const frame = decapVxlan(payload, null);
    assert.ok(frame instanceof Uint8Array, `${path}: ${String(frame)}`);
    const type = `0x${((frame[12] << 8) | frame[13]).toString(16).padStart(4, '0')}`;
    rows.push([String(vxlanVni(payload)), String(frame.length + 16), mac(frame, 0), mac(frame, 6), type]);
  }
  return rows;
}

test('agrees with tshark on every VXLAN packet of the corpus (VNI, length, inner Ethernet header)', async () => {
  const files = ['tcpdump__vxlan.pcap', 'zeek__tunnels_vxlan-encapsulated-http.pcap', 'ndpi__vxlan.pcap'].map(
    corpusPcap,
  );
  const expected = await Promise.all(files.map(tsharkVxlanRows));
  let compared = 0;
  files.forEach((path, i) => {
    assert.deepEqual(decapRows(path), expected[i], path);
    compared += expected[i].length;
  });
  assert.equal(compared, 149);
});
