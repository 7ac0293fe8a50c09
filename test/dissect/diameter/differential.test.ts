/**
 * Differential test against tshark 4.0: every Diameter message tshark finds in the corpus
 * (TCP streams fed from `follow,tcp,raw`; SCTP DATA chunks fed from tshark's own raw bytes of
 * each Diameter PDU) must come out of our dissector with the same command code, flags,
 * application id, hop-by-hop and end-to-end ids, Result-Code (or Experimental-Result-Code)
 * and top-level AVP codes; answers must be paired with the request tshark pairs them with.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diameterDissector } from '../../../src/dissect/diameter/index.js';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { corpusPcap } from '../../helpers/corpus.js';
import { all, feed, followTcp, tsharkJson, type Chunk } from '../dns/harness.js';

type Layer = Record<string, unknown>;

/** One message as a comparable line. */
function signature(m: {
  code: number;
  flags: number;
  app: number;
  hbh: number;
  e2e: number;
  result: number | null;
  avps: number[];
}): string {
  return [m.code, m.flags.toString(16), m.app, m.hbh, m.e2e, m.result, m.avps.join('.')].join('|');
}

function tsharkResult(avpTree: Layer[]): number | null {
  for (const a of avpTree)
    if (a['diameter.Result-Code'] !== undefined) return Number(a['diameter.Result-Code']);
  for (const a of avpTree) {
    for (const inner of all(a['diameter.avp_tree'] as Layer | Layer[] | undefined)) {
      if (inner['diameter.Experimental-Result-Code'] !== undefined)
        return Number(inner['diameter.Experimental-Result-Code']);
    }
  }
  return null;
}

function fromTshark(d: Layer): string {
  const tree = all(d['diameter.avp_tree'] as Layer | Layer[] | undefined);
  const isRequest = (d['diameter.flags_tree'] as Layer)['diameter.flags.request'] === '1';
  return signature({
    code: Number(d['diameter.cmd.code']),
    flags: Number(d['diameter.flags']),
    app: Number(d['diameter.applicationId']),
    hbh: Number(d['diameter.hopbyhopid']),
    e2e: Number(d['diameter.endtoendid']),
    result: isRequest ? null : tsharkResult(tree),
    avps: tree.map((a) => Number(a['diameter.avp.code'])),
  });
}

function fromOurs(m: Record<string, unknown>): string {
  const f = m.flags as Record<string, boolean>;
  return signature({
    code: m.commandCode as number,
    flags:
      (f.request ? 0x80 : 0) | (f.proxiable ? 0x40 : 0) | (f.error ? 0x20 : 0) | (f.retransmitted ? 0x10 : 0),
    app: m.applicationId as number,
    hbh: m.hopByHopId as number,
    e2e: m.endToEndId as number,
    result: f.request ? null : (m.resultCode as number | null),
    avps: (m.avps as Array<{ code: number }>).map((a) => a.code),
  });
}

function ourMessages(entries: EntryDraft[]): string[] {
  return entries.flatMap((e) => [e.request, e.response].filter((m) => m !== null).map((m) => fromOurs(m)));
}

/** tshark marks an answer it paired with `diameter.answer_to`; we count our entries with both sides. */
function pairedCount(layers: Layer[]): number {
  return layers.filter((d) => d['diameter.answer_to'] !== undefined).length;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

describe('diameter vs tshark over TCP', () => {
  for (const name of ['ndpi__diameter.pcap', 'magma__nsa_connection.pcap']) {
    test(name, () => {
      const file = corpusPcap(name);
      const frames = tsharkJson(file, 'diameter');
      const streams = [...new Set(frames.map((l) => Number((l.tcp as Layer)['tcp.stream'])))];
      const followed = followTcp(file, streams);
      for (const stream of streams) {
        const ref = frames
          .filter((l) => Number((l.tcp as Layer)['tcp.stream']) === stream)
          .flatMap((l) => all(l.diameter as Layer | Layer[]));
        const { chunks, client, server } = followed.get(stream)!;
        const rec = feed(diameterDissector, chunks, { client, server });
        assert.ok(ref.length > 0);
        assert.deepEqual(sorted(ourMessages(rec.entries)), sorted(ref.map(fromTshark)));
        assert.equal(rec.entries.filter((e) => e.request && e.response).length, pairedCount(ref));
        assert.deepEqual(rec.anomalies, []);
      }
    });
  }
});

/** SCTP association → DATA chunk payloads in capture order, taken from tshark's raw bytes of each Diameter PDU. */
function sctpAssociations(file: string): Map<string, { ref: Layer[]; chunks: Chunk[] }> {
  const out = new Map<string, { ref: Layer[]; chunks: Chunk[]; first: string }>();
  for (const l of tsharkJson(file, 'diameter', ['-x'])) {
    const ip = l.ip as Layer;
    const sctp = l.sctp as Layer;
    const from = `${ip['ip.src']}:${sctp['sctp.srcport']}`;
    const to = `${ip['ip.dst']}:${sctp['sctp.dstport']}`;
    const key = [from, to].sort().join(' ');
    const assoc = out.get(key) ?? { ref: [], chunks: [], first: from };
    out.set(key, assoc);
    assoc.ref.push(...all(l.diameter as Layer | Layer[]));
    const raws = l.diameter_raw as unknown[];
    for (const raw of Array.isArray(raws[0]) ? (raws as unknown[][]) : [raws]) {
      const dir = from === assoc.first ? 0 : 1;
      assoc.chunks.push({
        dir,
        bytes: Buffer.from(raw[0] as string, 'hex'),
        tsUs: 1_000_000 + assoc.chunks.length,
      });
    }
  }
  return out;
}

test('diameter vs tshark over SCTP DATA chunks (magma gx/gy capture)', () => {
  const assocs = sctpAssociations(corpusPcap('magma__gx_gy_combined_05_210505_133111-1.pcapng'));
  let messages = 0;
  for (const { ref, chunks } of assocs.values()) {
    const rec = feed(diameterDissector, chunks, { transport: 'sctp' });
    assert.deepEqual(sorted(ourMessages(rec.entries)), sorted(ref.map(fromTshark)));
    assert.equal(rec.entries.filter((e) => e.request && e.response).length, pairedCount(ref));
    messages += ref.length;
  }
  assert.equal(messages, 70);
});
