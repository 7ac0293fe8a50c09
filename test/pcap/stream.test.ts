import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { corpusCaptures, corpusPcap } from '../helpers/corpus.js';
import { pcapngBlock } from '../helpers/pcapng.js';
import {
  CAPTURE_ERROR_CODES as E,
  copyRecord,
  openCapture,
  readCaptureBuffer,
} from '../../src/pcap/index.js';
import type { CaptureReader, PacketRecord } from '../../src/pcap/index.js';
import { createFrameMatcher } from '../../src/filter/index.js';

/** Copies each batch's records: their data is only valid until the next batch. */
async function drain(reader: CaptureReader): Promise<PacketRecord[]> {
  const all: PacketRecord[] = [];
  for await (const batch of reader.batches()) for (const r of batch) all.push(copyRecord(r));
  return all;
}

/** Deterministic xorshift so chunk sizes differ per file but not per run. */
function chunkSizes(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 1 + ((x >>> 0) % 97);
  };
}

function feedInChunks(buf: Buffer, seed: number): PassThrough {
  const stream = new PassThrough();
  const next = chunkSizes(seed);
  let pos = 0;
  const push = (): void => {
    while (pos < buf.length) {
      const n = next();
      const ok = stream.write(buf.subarray(pos, pos + n));
      pos += n;
      if (!ok) return void stream.once('drain', push);
    }
    stream.end();
  };
  push();
  return stream;
}

function assertSameAsBuffer(path: string, records: PacketRecord[], reader: CaptureReader): void {
  const whole = readCaptureBuffer(readFileSync(path));
  assert.equal(reader.format, whole.format);
  assert.deepEqual(records, whole.records.map(copyRecord));
  assert.equal(reader.error?.code, whole.error?.code);
  assert.equal(reader.error?.offset, whole.error?.offset);
  assert.deepEqual(reader.interfaces, whole.interfaces);
}

describe('streaming reader', () => {
  const files = corpusCaptures();
  test('a path gives the same records, interfaces and errors as the whole buffer, for every corpus file', async () => {
    for (const path of files) {
      const reader = await openCapture(path, { batchSize: 7 });
      assertSameAsBuffer(path, await drain(reader), reader);
    }
  });

  test('a stream fed in random 1..97-byte chunks gives the same as the path', async () => {
    for (const [i, path] of files.entries()) {
      const reader = await openCapture(feedInChunks(readFileSync(path), i + 1));
      assertSameAsBuffer(path, await drain(reader), reader);
    }
  });

  test('batches hold at most batchSize records', async () => {
    const reader = await openCapture(corpusPcap('pcapplusplus__DnsPackets.pcap'), { batchSize: 10 });
    let total = 0;
    for await (const batch of reader.batches()) {
      assert.ok(batch.length >= 1 && batch.length <= 10);
      total += batch.length;
    }
    assert.equal(total, 464); // capinfos: 464 packets (MANIFEST #24)
    assert.equal(reader.bytesRead, 65390);
  });

  test('a gate hands out exactly the records tcpdump keeps with the same filter, pcap and pcapng', async () => {
    const cases: Array<[string, string]> = [
      ['pcapplusplus__four_ipv6_http_streams.pcap', 'ip6 and tcp and greater 200'],
      ['ndpi__http2.pcapng', 'tcp and greater 100'],
    ];
    for (const [name, filter] of cases) {
      const path = corpusPcap(name);
      const kept = spawnSync('tcpdump', ['-r', path, '-w', '-', filter], { maxBuffer: 64 << 20 });
      assert.equal(kept.status, 0, kept.stderr.toString());
      const expected = readCaptureBuffer(kept.stdout).records;
      const all = readCaptureBuffer(readFileSync(path)).records;
      assert.ok(expected.length > 0 && expected.length < all.length, name);
      const gated = await drain(await openCapture(path, { gate: createFrameMatcher(filter) }));
      // tcpdump writes microsecond pcap: compare times at that precision.
      const row = (r: PacketRecord) =>
        `${r.tsSec}.${Math.floor(r.tsNsec / 1000)} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`;
      assert.deepEqual(gated.map(row), expected.map(row), name);
    }
  });

  test('a missing file gives CAPTURE_OPEN_FAILED and no records', async () => {
    const reader = await openCapture('/nonexistent/meshtap/capture.pcap');
    assert.equal(reader.error?.code, E.CAPTURE_OPEN_FAILED);
    assert.equal(reader.format, null);
    assert.deepEqual(await drain(reader), []);
  });

  test('an unknown magic gives PCAP_BAD_MAGIC whatever the extension', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshtap-pcap-'));
    const path = join(dir, 'text.pcap');
    writeFileSync(path, 'GET / HTTP/1.1\r\n\r\n');
    const reader = await openCapture(path);
    assert.equal(reader.error?.code, E.PCAP_BAD_MAGIC);
    assert.equal(reader.format, null);
    assert.deepEqual(await drain(reader), []);
  });

  test('records larger than the 1 MiB read chunk and blocks spanning chunks are assembled', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'meshtap-pcap-')), 'big.pcapng');
    writeFileSync(path, bigPcapng());
    const reader = await openCapture(path);
    const records = await drain(reader);
    assert.equal(reader.error, null);
    assert.deepEqual(
      records.map((r) => r.data.length),
      [200_000, 60, 262_144, 60],
    );
    assert.equal(records[2].data[262_143], 0xab);
  });

  test('records that already arrived on a stream form one vector, however they were written', async () => {
    // A µs pcap header (LINKTYPE_ETHERNET, snaplen 65535) and five 4-byte records written one
    // write at a time, as tcpdump -U does, before the reader asks: one batch must hold all five.
    const header = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const record = (i: number): Buffer => {
      const r = Buffer.alloc(20);
      r.writeUInt32LE(1_700_000_000 + i, 0);
      r.writeUInt32LE(4, 8);
      r.writeUInt32LE(4, 12);
      r.writeUInt32LE(0xc0ffee00 + i, 16);
      return r;
    };
    const stream = new PassThrough();
    stream.write(header);
    for (let i = 0; i < 5; i++) stream.write(record(i));
    const reader = await openCapture(stream);
    const batches = reader.batches();
    const first = await batches.next();
    assert.equal(first.done, false);
    assert.deepEqual(
      (first.value as PacketRecord[]).map((r) => r.tsSec),
      [0, 1, 2, 3, 4].map((i) => 1_700_000_000 + i),
    );
    stream.end();
    assert.equal((await batches.next()).done, true);
    assert.equal(reader.error, null);
  });

  test("'-' reads stdin", () => {
    const script = `import { openCapture } from ${JSON.stringify(new URL('../../src/pcap/index.ts', import.meta.url).href)};
      const r = await openCapture('-'); let n = 0; for await (const b of r.batches()) n += b.length; console.log(n, r.format);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      input: readFileSync(corpusPcap('magma__nsa_connection.pcap')),
      encoding: 'utf8',
    });
    assert.equal(run.stdout.trim(), '70 pcapng', run.stderr); // capinfos: 70 packets (MANIFEST #19)
  });
});

/**
 * A hand-built little-endian pcapng: SHB, IDB (Ethernet, snaplen 0), an EPB of 200000
 * bytes, a 3 MiB custom block (type 0x40000BAD, skipped), a 60-byte EPB, a 262144-byte
 * EPB, a 60-byte EPB. Large units straddle the reader's 1 MiB chunks.
 */
function bigPcapng(): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeInt32LE(-1, 8);
  shb.writeInt32LE(-1, 12);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0);
  const epb = (size: number): Buffer => {
    const body = Buffer.alloc(20 + ((size + 3) & ~3), 0xab);
    body.writeUInt32LE(0, 0);
    body.writeUInt32LE(0, 4);
    body.writeUInt32LE(1000, 8);
    body.writeUInt32LE(size, 12);
    body.writeUInt32LE(size, 16);
    return pcapngBlock(6, body);
  };
  const custom = Buffer.alloc(3 * 1024 * 1024);
  custom.writeUInt32LE(32473, 0);
  return Buffer.concat([
    pcapngBlock(0x0a0d0d0a, shb),
    pcapngBlock(1, idb),
    epb(200_000),
    pcapngBlock(0x40000bad, custom),
    epb(60),
    epb(262_144),
    epb(60),
  ]);
}

test('name resolution block: IPv4 and IPv6 records with their names, addresses spelled as packet addresses are', async () => {
  // pcapng spec: NRB records are type (1 IPv4, 2 IPv6), length, address then NUL-ended names,
  // padded to 32 bits; nrb_record_end (type 0) closes the list. `tshark -qz hosts` on this
  // file lists the same three addresses, the IPv4-mapped one as ::ffff:192.0.2.9.
  const record = (type: number, address: string, names: string[]): Buffer => {
    const value = Buffer.concat([Buffer.from(address, 'hex'), ...names.map((n) => Buffer.from(`${n}\0`))]);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(type, 0);
    head.writeUInt16LE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  const shb = Buffer.from('4d3c2b1a01000000ffffffffffffffff', 'hex');
  const nrb = Buffer.concat([
    record(1, 'c0000201', ['a.example']),
    record(2, '20010db8000000000000000000000001', ['b.example', 'b2.example']),
    record(2, '00000000000000000000ffffc0000209', ['c.example']),
    Buffer.alloc(4),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'meshtap-nrb-')), 'names.pcapng');
  writeFileSync(file, Buffer.concat([pcapngBlock(0x0a0d0d0a, shb), pcapngBlock(4, nrb)]));
  const reader = await openCapture(file);
  await drain(reader);
  assert.equal(reader.error, null);
  assert.deepEqual(reader.names, [
    { address: '192.0.2.1', names: ['a.example'] },
    { address: '2001:db8::1', names: ['b.example', 'b2.example'] },
    { address: '::ffff:192.0.2.9', names: ['c.example'] },
  ]);
});
