import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { decodePacket } from '../../src/decode/index.js';
import type { Layer } from '../../src/decode/layer.js';
import { corpusCaptures } from '../helpers/corpus.js';
import {
  differingFields,
  md5Hex,
  ourFields,
  quotesAHeader,
  tsharkFrames,
  type TsharkFrame,
} from './l3l4-fields.js';

/**
 * Differential test against tshark over every corpus capture with packets: for each frame,
 * the IPv4/IPv6 source and destination, IP protocol / IPv6 next header, and TCP/UDP/SCTP
 * ports must equal tshark's (`-E occurrence=a`: every occurrence, outermost first, so VXLAN
 * inner headers are compared too). IP reassembly is switched off in tshark
 * (`ip.defragment`/`ipv6.defragment` FALSE) so that, like our per-packet decoder, a first
 * fragment shows its L4 header and later fragments none.
 *
 * Frames are paired by MD5 of their bytes, in order: tshark counts blocks our reader does
 * not turn into packets (pcapng test202's custom blocks), and the fuzzed bug-6875 file is
 * read differently by the two readers; unpaired frames are counted, not compared.
 *
 * Rules and named exceptions:
 * - ICMP/ICMPv6 error messages: tshark also decodes the quoted IP header; we keep it as
 *   payload, so our values must be a prefix of tshark's (quotesAHeader).
 * - EXCEPTIONS below: tunnels tshark decodes that meshtap does not register; there, too,
 *   ours must be a prefix of tshark's (the outer headers agree).
 */
const EXCEPTIONS = new Map<string, string>([
  ...[56, 61, 68, 82, 86].map((n): [string, string] => [
    `magma__gx_gy_combined_05_210505_133111-1.pcapng#${n}`,
    'GTP-U (UDP 2152) inner IP packet: no GTP decoder in meshtap',
  ]),
  [
    'pcapplusplus__ip4_bad_fragment.pcap#1',
    'MPLS (ethertype 0x8847) label stack: no MPLS decoder in meshtap',
  ],
]);

interface Tally {
  compared: number;
  agreeing: number;
  prefixCompared: number;
  unpaired: number;
  failures: string[];
}

async function compareFile(path: string, tally: Tally): Promise<void> {
  const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
  if (records.length === 0) return;
  const frames = await tsharkFrames(path);
  const name = basename(path);
  let next = 0;
  for (const record of records) {
    const md5 = md5Hex(record.data);
    let j = next;
    while (j < frames.length && j < next + 8 && frames[j].md5 !== md5) j++;
    if (j >= frames.length || frames[j].md5 !== md5) {
      tally.unpaired++;
      continue;
    }
    next = j + 1;
    comparePacket(
      `${name}#${frames[j].frame}`,
      decodePacket(record.data, record.linkType),
      record.data,
      frames[j],
      tally,
    );
  }
}

function comparePacket(
  id: string,
  layers: Layer[],
  data: Uint8Array,
  frame: TsharkFrame,
  tally: Tally,
): void {
  const prefixOnly = quotesAHeader(layers) || EXCEPTIONS.has(id);
  const ours = ourFields(layers, data);
  const differing = differingFields(ours, frame.fields, prefixOnly);
  tally.compared++;
  if (prefixOnly) tally.prefixCompared++;
  if (differing.length === 0) {
    tally.agreeing++;
    return;
  }
  const detail = differing.map((f) => `${f} ours=${ours[f].join(',')} tshark=${frame.fields[f].join(',')}`);
  tally.failures.push(`${id}: ${detail.join('; ')}`);
}

/** tshark start-up dominates: run a few at once. */
const PARALLEL_TSHARKS = 4;

test('L3/L4 addresses, protocols and ports agree with tshark on every corpus capture', async () => {
  const tally: Tally = { compared: 0, agreeing: 0, prefixCompared: 0, unpaired: 0, failures: [] };
  const queue = corpusCaptures();
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) await compareFile(path, tally);
  };
  await Promise.all(Array.from({ length: PARALLEL_TSHARKS }, worker));
  tally.failures.sort();
  console.log(
    `tshark differential: ${tally.agreeing}/${tally.compared} packets agree ` +
      `(${tally.prefixCompared} compared as prefix: ICMP quotes + ${EXCEPTIONS.size} named exceptions; ` +
      `${tally.unpaired} records not paired with a tshark frame)`,
  );
  assert.deepEqual(tally.failures, []);
  assert.ok(tally.compared > 7000, `only ${tally.compared} packets compared`);
  assert.ok(tally.unpaired <= 4, `${tally.unpaired} records unpaired`);
});
