/**
 * Differential test: every datagram tshark reassembles from a real capture must come out of
 * FragmentReassembler at the same frame with the same bytes and fragment count, and nothing else
 * may complete. The rebuilt packets are then handed back to tshark, which must find their IPv4
 * header checksum, IPv6 payload length and UDP/TCP checksums (computed over the whole reassembled
 * payload) correct. tshark starts slowly, so all captures go through it in one concatenated file.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FragmentReassembler } from '../../src/flow/ipfrag/index.js';
import { corpusPcap, PCAP_DIR } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { extractFragment, feed, LINKTYPE_RAW, readFrames, toHex, writePcap, type Frame } from './capture.js';

const LINKTYPE_ETHERNET = 1;

// The datagram counts are tshark's, listed by hand from `tshark -T fields -e ip.reassembled.length`.
const CAPTURES: { file: string; datagrams: number }[] = [
  { file: 'pcapplusplus__ip4_fragments.pcap', datagrams: 6 },
  { file: 'pcapplusplus__frag_http_req.pcap', datagrams: 1 },
  { file: 'zeek__ipv4_fragmented-syn.pcap', datagrams: 1 },
  { file: 'pcapplusplus__ip4_bad_fragment.pcap', datagrams: 0 },
  { file: 'pcapplusplus__ip6_fragments.pcap', datagrams: 4 },
  { file: 'zeek__ipv6-fragmented-dns.pcap', datagrams: 1 },
];

interface Reassembled {
  frame: number;
  packet: Uint8Array;
  headerLength: number;
  fragments: number;
}

function reassemble(frames: Frame[]): Reassembled[] {
  const r = new FragmentReassembler();
  const out: Reassembled[] = [];
  for (const frame of frames) {
    const fragment = extractFragment(frame.data);
    if (fragment === null) continue;
    const result = feed(r, fragment, frame.tsUs);
    if (result.status !== 'complete') continue;
    const headerLength =
      fragment.family === 4 ? (result.packet[0] & 0x0f) * 4 : fragment.unfragmentable.length;
    out.push({ frame: frame.number, packet: result.packet, headerLength, fragments: result.fragments });
  }
  return out;
}

function withTempPcap<T>(bytes: Uint8Array, use: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-ipfrag-'));
  try {
    const path = join(dir, 'input.pcap');
    writeFileSync(path, bytes);
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tsharkFields(path: string, filter: string, fields: string[], options: string[] = []): string[][] {
  const args = ['-r', path, ...options, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  if (filter !== '') args.push('-Y', filter);
  const text = runTool('tshark', args);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

/** tshark's reassemblies in the concatenated capture: frame → [payload hex, fragment count]. */
function tsharkReassembled(all: Frame[]): Map<number, [string, number]> {
  const rows = withTempPcap(
    writePcap(
      LINKTYPE_ETHERNET,
      all.map((f) => f.data),
    ),
    (path) =>
      tsharkFields(path, 'ip.reassembled.data or ipv6.reassembled.data', [
        'frame.number',
        'ip.reassembled.data',
        'ip.fragment.count',
        'ipv6.reassembled.data',
        'ipv6.fragment.count',
      ]),
  );
  const map = new Map<number, [string, number]>();
  for (const [frame, v4Data, v4Count, v6Data, v6Count] of rows) {
    map.set(Number(frame), [(v4Data || v6Data).replaceAll(':', ''), Number(v4Count || v6Count)]);
  }
  return map;
}

describe('ipfrag: real captures agree with tshark', () => {
  const perFile = new Map<string, { frames: Frame[]; base: number }>();
  let theirs = new Map<number, [string, number]>();
  const allOurs: Reassembled[] = [];

  before(() => {
    const all: Frame[] = [];
    for (const { file } of CAPTURES) {
      const frames = readFrames(new Uint8Array(readFileSync(corpusPcap(file))));
      perFile.set(file, { frames, base: all.length });
      all.push(...frames);
    }
    theirs = tsharkReassembled(all);
  });

  for (const { file, datagrams } of CAPTURES) {
    test(file, () => {
      const { frames, base } = perFile.get(file)!;
      const ours = reassemble(frames);
      allOurs.push(...ours);
      const expectedFrames = [...theirs.keys()].filter((n) => n > base && n <= base + frames.length);
      assert.equal(expectedFrames.length, datagrams, 'tshark reassembly count changed');
      assert.deepEqual(
        ours.map((d) => d.frame + base),
        expectedFrames,
        'datagrams complete at the same frames',
      );
      for (const d of ours) {
        const [payloadHex, count] = theirs.get(d.frame + base)!;
        assert.equal(toHex(d.packet.subarray(d.headerLength)), payloadHex, `payload of frame ${d.frame}`);
        assert.equal(d.fragments, count, `fragment count of frame ${d.frame}`);
      }
    });
  }

  test('tshark finds the rebuilt headers and L4 checksums of every reassembled packet correct', () => {
    assert.equal(allOurs.length, 13);
    const rows = withTempPcap(
      writePcap(
        LINKTYPE_RAW,
        allOurs.map((d) => d.packet),
      ),
      (path) =>
        tsharkFields(
          path,
          '',
          [
            'ip.len',
            'ip.checksum.status',
            'ipv6.plen',
            'ipv6.nxt',
            'udp.checksum.status',
            'tcp.checksum.status',
          ],
          ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'],
        ),
    );
    assert.equal(rows.length, allOurs.length);
    rows.forEach(([ipLen, ipChecksum, ipv6Plen, ipv6Next, udpStatus, tcpStatus], i) => {
      const packet = allOurs[i].packet;
      if (packet[0] >> 4 === 4) {
        assert.equal(Number(ipLen), packet.length, 'ip.len');
        assert.equal(ipChecksum, '1', 'IPv4 header checksum good');
      } else {
        assert.equal(Number(ipv6Plen), packet.length - 40, 'ipv6.plen');
        assert.notEqual(ipv6Next, '44', 'Fragment header removed');
      }
      // 1 = good. (2 = unverified would mean a zero UDP checksum; these captures have none.)
      assert.equal(udpStatus || tcpStatus, '1', `L4 checksum of reassembled packet ${i}`);
    });
  });

  test('frag_http_req: whole packet equals the reassembled packet published with the capture', () => {
    const [only] = reassemble(perFile.get('pcapplusplus__frag_http_req.pcap')!.frames);
    const hex = readFileSync(
      join(PCAP_DIR, 'expected', 'pcapplusplus', 'pcapplusplus__frag_http_req_reassembled.txt'),
      'utf8',
    ).trim();
    // The published file is the Ethernet frame; the IP packet starts after its 14-byte header.
    assert.equal(toHex(only.packet), hex.slice(28));
  });
});
