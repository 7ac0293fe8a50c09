import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dataPath } from '../../src/store/layout.js';
import type { StreamRow } from '../../src/store/stream-catalog.js';
import { ingestCapture } from '../../src/store/stream-ingest.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { spawnSync } from 'node:child_process';
import { NO_IDLE_TIMEOUTS, openTestStore, parseEpoch, readStreamRecords, type TestStore } from './support.js';

/**
 * Corpus captures concatenated into one pcapng (mergecap -a keeps every link type and
 * timestamp resolution) are ingested through the store graph; tshark, run once over the
 * same input, says which stream every frame belongs to. Chosen for breadth: Ethernet, raw
 * IP, SLL, NULL, VLAN, VXLAN, IPv4 and IPv6 fragments, TCP, UDP and SCTP, µs and ns.
 */
const INPUTS = [
  'zeek__docker-http-upgrade.pcap',
  'suricata-verify__http-protocol-nodup__input.pcap',
  'pcapplusplus__four_ipv6_http_streams.pcap',
  'pcapplusplus__DnsPackets.pcap',
  'pcapplusplus__sll.pcap',
  'zeek__ipv6-fragmented-dns.pcap',
  'pcapplusplus__ip4_fragments.pcap',
  'pcapplusplus__ip6_fragments.pcap',
  'pcapplusplus__frag_http_req.pcap',
  'zeek__ipv4_fragmented-syn.pcap',
  'ndpi__http2.pcapng',
  'tcpdump__tcp-handshake-nano.pcap',
  'zeek__tunnels_vxlan-encapsulated-http.pcap',
  'magma__nsa_connection.pcap',
  'suricata-verify__http2-range.pcap',
  'packt-grpc__Unary.pcapng',
  'zeek__cooper-grill-dvwa.pcapng',
  'pcapplusplus__dns_over_tcp.pcapng',
  'zeek__vlan-qinqinq.pcap',
];

interface TsharkFrame {
  frame: number;
  sec: number;
  nsec: number;
  md5: string;
  /** 'tcp:N', 'udp:N', 'sctp:N' (innermost), or null for frames in no stream. */
  stream: string | null;
}

const last = (field: string): string => field.split(',').at(-1) ?? '';

/** One tshark run (two-pass, so earlier fragments know the frame their datagram was reassembled in). */
async function tsharkFrames(file: string): Promise<TsharkFrame[]> {
  const fields = [
    'frame.number',
    'frame.time_epoch',
    'frame.md5_hash',
    'tcp.stream',
    'udp.stream',
    'sctp.assoc_index',
    'ip.reassembled_in',
    'ipv6.reassembled.in',
  ];
  const prefs = ['-o', 'sctp.association_index:TRUE', '-o', 'frame.generate_md5_hash:TRUE'];
  const args = ['-2', ...prefs, '-r', file, '-T', 'fields', '-E', 'occurrence=a'];
  const { stdout } = await promisify(execFile)('tshark', [...args, ...fields.flatMap((f) => ['-e', f])], {
    maxBuffer: 64 << 20,
  });
  const rows = stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
  const own = new Map<number, string | null>();
  for (const [frame, , , tcp, udp, sctp] of rows) {
    const stream = sctp ? `sctp:${last(sctp)}` : tcp ? `tcp:${last(tcp)}` : udp ? `udp:${last(udp)}` : null;
    own.set(Number(frame), stream);
  }
  return rows.map(([frame, epoch, md5, , , , ip4In, ip6In]) => {
    const [sec, nsec] = parseEpoch(epoch);
    const reassembledIn = Number(last(ip4In || ip6In || '')) || 0;
    const stream = reassembledIn > 0 ? (own.get(reassembledIn) ?? null) : (own.get(Number(frame)) ?? null);
    return { frame: Number(frame), sec, nsec, md5, stream };
  });
}

let store: TestStore;
let input: string;
let frames: TsharkFrame[];
let rows: StreamRow[];
let entries = 0;
const unknownKeys: string[] = [];

before(async () => {
  store = openTestStore();
  input = join(store.dir, 'input.pcapng');
  runTool('mergecap', ['-a', '-F', 'pcapng', '-w', input, ...INPUTS.map(corpusPcap)]);
  const tshark = tsharkFrames(input);
  const result = await ingestCapture({
    source: input,
    store: { dataDir: store.dir, catalog: store.catalog, node: 'test-node', maxOpenFiles: 16 },
    flow: NO_IDLE_TIMEOUTS,
    onEntry: (_entry, key) => {
      entries++;
      if (store.catalog.get(key) === undefined && !key.startsWith('test-node_')) unknownKeys.push(key);
    },
  });
  assert.equal(result.error, null);
  frames = await tshark;
  rows = store.catalog.list();
});

after(() => store.cleanup());

describe('stream store: one pcap per stream, checked against tshark', () => {
  test('every stream file holds exactly the frames tshark puts in one stream', () => {
    const byKey = new Map<string, number[]>();
    for (const f of frames) {
      const key = `${f.sec}.${Math.floor(f.nsec / 1000)}/${f.md5}`;
      const list = byKey.get(key) ?? [];
      list.push(f.frame);
      byKey.set(key, list);
    }
    const frameInfo = new Map(frames.map((f) => [f.frame, f]));
    const expectedSize = new Map<string, number>();
    for (const f of frames) if (f.stream) expectedSize.set(f.stream, (expectedSize.get(f.stream) ?? 0) + 1);
    const matched = new Set<string>();
    const problems: string[] = [];
    for (const row of rows) {
      const file = readStreamRecords(dataPath(store.dir, row.filePath));
      assert.equal(file.error, null, row.filePath);
      const streams = new Set<string | null>();
      for (const rec of file.records) {
        const frameNo = byKey.get(`${rec.tsSec}.${Math.floor(rec.tsNsec / 1000)}/${rec.md5}`)?.shift();
        if (frameNo === undefined) {
          problems.push(`${row.streamKey}: a record matches no input frame`);
          continue;
        }
        const f = frameInfo.get(frameNo)!;
        streams.add(f.stream);
        // The file keeps the source's resolution: ns files exactly, µs files to the µs.
        const want = file.nanosecond ? f.nsec : Math.floor(f.nsec / 1000) * 1000;
        if (rec.tsNsec !== want)
          problems.push(`${row.streamKey}: frame ${frameNo} time ${rec.tsNsec} != ${want}`);
        if (!file.nanosecond && f.nsec % 1000 !== 0)
          problems.push(`${row.streamKey}: ns timestamps written as µs`);
      }
      const [stream] = [...streams];
      if (streams.size !== 1 || stream === null) {
        problems.push(`${row.streamKey}: frames of tshark streams ${[...streams].join(' ')}`);
        continue;
      }
      matched.add(stream);
      if (expectedSize.get(stream) !== file.records.length)
        problems.push(
          `${row.streamKey}: ${file.records.length} frames, tshark ${stream} has ${expectedSize.get(stream)}`,
        );
    }
    const missing = [...expectedSize.keys()].filter((s) => !matched.has(s));
    if (missing.length > 0) problems.push(`tshark streams without a file: ${missing.join(' ')}`);
    assert.deepEqual(problems, []);
    assert.equal(rows.length, expectedSize.size);
    assert.ok(rows.length > 250, `${rows.length} streams`);
  });

  test('the catalog row of every stream matches its file', () => {
    for (const row of rows) {
      const path = dataPath(store.dir, row.filePath);
      const file = readStreamRecords(path);
      assert.equal(row.closed, true);
      assert.equal(row.packets, file.records.length, row.streamKey);
      assert.equal(row.fileBytes, statSync(path).size, row.streamKey);
      assert.equal(
        row.bytes,
        file.records.reduce((n, r) => n + r.caplen, 0),
        row.streamKey,
      );
      const first = file.records[0];
      const firstUs = first.tsSec * 1e6 + Math.floor(first.tsNsec / 1000);
      assert.ok(row.firstTsUs <= firstUs && row.lastTsUs >= row.firstTsUs, row.streamKey);
      assert.match(row.filePath, /^streams\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/test-node_[^/]+\.pcap$/);
      const hour = new Date(row.firstTsUs / 1000).toISOString().slice(0, 13).replace(/[-T]/g, '/');
      assert.ok(row.filePath.startsWith(`streams/${hour}/`), `${row.filePath} not in hour ${hour}`);
    }
    assert.ok(entries > 0 && unknownKeys.length === 0);
  });

  test('capinfos and tcpdump read every stream file in full', () => {
    const paths = rows.map((r) => dataPath(store.dir, r.filePath));
    // capinfos (Wireshark's wiretap): one run over all files, one table row per file.
    const table = runTool('capinfos', ['-T', '-r', '-c', '-M', ...paths])
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('\t'));
    assert.equal(table.length, rows.length);
    table.forEach(([, count], i) => assert.equal(Number(count), rows[i].packets, paths[i]));
    // tcpdump -V reads a list of files in one run; stdout and stderr share one file so each
    // "reading from file" line is followed by that file's packets.
    const list = join(store.dir, 'files.txt');
    writeFileSync(list, paths.join('\n') + '\n');
    const outPath = join(store.dir, 'tcpdump.out');
    const fd = openSync(outPath, 'w');
    // As root tcpdump drops to its own user after the first file and could not open the rest.
    const keepUser = process.getuid?.() === 0 ? ['-Z', 'root'] : [];
    const r = spawnSync('tcpdump', ['-nn', '-l', '-q', ...keepUser, '-V', list], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    assert.equal(r.status, 0, readFileSync(outPath, 'utf8').slice(-500));
    const counts = new Map<string, number>();
    let current = '';
    for (const line of readFileSync(outPath, 'utf8').split('\n')) {
      const m = /^reading from file (.*), link-type/.exec(line);
      if (m) current = m[1];
      else if (line.length > 0) counts.set(current, (counts.get(current) ?? 0) + 1);
    }
    paths.forEach((p, i) => assert.equal(counts.get(p) ?? 0, rows[i].packets, p));
  });
});
