/**
 * Differential test against tshark 4.0 over the DNS captures of the corpus (MANIFEST rows
 * 21-26): every DNS message tshark finds (UDP datagrams fed from `udp.payload`, TCP streams
 * from `follow,tcp,raw`) must come out of our dissector with the same id, QR bit, opcode,
 * rcode, question names/types, answer names/types/TTLs and A/AAAA/CNAME/NS/PTR data, and the
 * same number of authority and additional records; tshark's query/response pairs
 * (`dns.response_to`) must be our entries' pairs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsDissector } from '../../../src/dissect/dns/index.js';
import type { DnsMessage, DnsRecord } from '../../../src/dissect/dns/index.js';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { corpusPcap } from '../../helpers/corpus.js';
import { all, feed, followTcp, tsharkJson, type Chunk } from './harness.js';

type Layer = Record<string, unknown>;

const DATA_FIELDS = ['dns.a', 'dns.aaaa', 'dns.cname', 'dns.ns', 'dns.ptr.domain_name'];

function tsharkRecords(section: unknown): string[] {
  if (section === undefined) return [];
  return Object.values(section as Record<string, Layer | Layer[]>)
    .flatMap((r) => all(r))
    .map((r) => {
      const data = DATA_FIELDS.map((f) => r[f]).find((v) => v !== undefined) ?? '';
      return `${r['dns.resp.name']} ${r['dns.resp.type']} ${r['dns.resp.ttl']} ${data}`;
    });
}

function fromTshark(d: Layer): string {
  const flags = d['dns.flags_tree'] as Layer;
  const questions = Object.values((d.Queries ?? {}) as Record<string, Layer | Layer[]>)
    .flatMap((q) => all(q))
    .map((q) => `${q['dns.qry.name']} ${q['dns.qry.type']}`);
  return JSON.stringify([
    Number(d['dns.id']),
    flags['dns.flags.response'] === '1',
    Number(flags['dns.flags.opcode']),
    flags['dns.flags.response'] === '1' ? Number(flags['dns.flags.rcode']) : 0,
    questions,
    tsharkRecords(d.Answers),
    Number(d['dns.count.auth_rr']),
    Number(d['dns.count.add_rr']),
  ]);
}

function recordText(r: DnsRecord): string {
  const shown = [1, 28, 5, 2, 12].includes(r.type) ? String(r.data) : '';
  return `${r.name} ${r.type} ${r.ttl} ${shown}`;
}

function fromOurs(m: DnsMessage): string {
  return JSON.stringify([
    m.id,
    m.isResponse,
    m.opcode,
    m.isResponse ? m.rcode : 0,
    m.questions.map((q) => `${q.name} ${q.type}`),
    m.answers.map(recordText),
    m.authorities.length,
    m.additionals.length,
  ]);
}

function ourMessages(entries: EntryDraft[]): string[] {
  return entries.flatMap((e) =>
    [e.request, e.response].filter((m) => m !== null).map((m) => fromOurs(m as unknown as DnsMessage)),
  );
}

const sorted = (xs: string[]): string[] => [...xs].sort();

interface Compared {
  messages: number;
  ours: string[];
  theirs: string[];
  pairedOurs: number;
  pairedTheirs: number;
}

/** UDP: one datagram per data() call, grouped by tshark's udp.stream, direction 0 = first sender. */
function compareUdp(frames: Layer[]): Compared {
  const streams = new Map<string, { first: string; chunks: Chunk[]; ports: number[] }>();
  for (const f of frames) {
    const udp = f.udp as Layer;
    const key = String(udp['udp.stream']);
    const from =
      String(udp['udp.srcport']) +
      String((f.ip as Layer | undefined)?.['ip.src'] ?? (f.ipv6 as Layer)['ipv6.src']);
    const s = streams.get(key) ?? {
      first: from,
      chunks: [],
      ports: [Number(udp['udp.srcport']), Number(udp['udp.dstport'])],
    };
    streams.set(key, s);
    const bytes = Buffer.from(String(udp['udp.payload']).replaceAll(':', ''), 'hex');
    s.chunks.push({ dir: from === s.first ? 0 : 1, bytes, tsUs: 1_000_000 + s.chunks.length });
  }
  const entries = [...streams.values()].flatMap((s) => {
    const opts = {
      transport: 'udp' as const,
      client: { ip: 'c', port: s.ports[0] },
      server: { ip: 's', port: s.ports[1] },
    };
    return feed(dnsDissector, s.chunks, opts).entries;
  });
  return summarize(frames, entries);
}

function compareTcp(file: string, frames: Layer[]): Compared {
  const streams = [...new Set(frames.map((f) => Number((f.tcp as Layer)['tcp.stream'])))];
  const followed = followTcp(file, streams);
  const entries = streams.flatMap((n) => {
    const { chunks, client, server } = followed.get(n)!;
    return feed(dnsDissector, chunks, { transport: 'tcp', client, server }).entries;
  });
  return summarize(frames, entries);
}

function summarize(frames: Layer[], entries: EntryDraft[]): Compared {
  const dns = frames.flatMap((f) => all(f.dns as Layer | Layer[]));
  return {
    messages: dns.length,
    theirs: sorted(dns.map(fromTshark)),
    ours: sorted(ourMessages(entries)),
    pairedTheirs: dns.filter((d) => d['dns.response_to'] !== undefined).length,
    pairedOurs: entries.filter((e) => e.request && e.response).length,
  };
}

function check(file: string, expectedMessages: number): void {
  const path = corpusPcap(file);
  const frames = tsharkJson(path, 'dns');
  const udp = compareUdp(frames.filter((f) => f.udp !== undefined));
  const tcp = compareTcp(
    path,
    frames.filter((f) => f.tcp !== undefined),
  );
  for (const c of [udp, tcp]) {
    assert.deepEqual(c.ours, c.theirs);
    assert.equal(c.pairedOurs, c.pairedTheirs);
  }
  assert.equal(udp.messages + tcp.messages, expectedMessages);
}

describe('dns vs tshark', () => {
  // Message counts from `tshark -Y dns -T fields -e dns.id` (one line per id), so that an
  // empty extraction can not pass (tshark finds 428 DNS messages among the 464 frames of DnsPackets).
  const FILES: Array<[string, number]> = [
    ['tcpdump__dns_udp.pcap', 2],
    ['tcpdump__dns_tcp.pcap', 2],
    ['pcapplusplus__DnsPackets.pcap', 428],
    ['pcapplusplus__dns_over_tcp.pcapng', 3],
    ['zeek__ipv6-fragmented-dns.pcap', 5],
  ];
  for (const [file, count] of FILES) test(file, () => check(file, count));
});
