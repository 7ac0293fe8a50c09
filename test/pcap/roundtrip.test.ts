import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { corpusCaptures, corpusPcap } from '../helpers/corpus.js';
import { tryTool } from '../helpers/tools.js';
import {
  copyRecord,
  CAPTURE_ERROR_CODES as E,
  createCaptureWriter,
  formatForPath,
  openCapture,
  readCaptureBuffer,
} from '../../src/pcap/index.js';
import type { CaptureFormat, FramedRecord, PacketRecord } from '../../src/pcap/index.js';
import { tsharkFrames, type TsharkFrame } from './tshark.js';

const outDir = mkdtempSync(join(tmpdir(), 'meshtap-pcap-rt-'));

/**
 * Named exception: pcapplusplus__pcapng-example.pcapng's second interface stamps its packets
 * about 18.4e12 s after 1970 (a negative 64-bit µs count read as unsigned). Such an instant
 * does not fit the 64-bit nanosecond timestamp meshtap's pcapng writer uses, so that file is
 * not expected to survive rewriting; every other corpus file must.
 */
const UNWRITABLE_TIMESTAMPS = new Set(['pcapplusplus__pcapng-example.pcapng']);

/** Files that together cover µs/ns, both byte orders, one and many interfaces, comments, SPB, multi-section. */
const TSHARK_CHECKED = [
  'tcpdump__dns_tcp.pcap',
  'tcpdump__tcp-handshake-nano.pcap',
  'pcapplusplus__nanosecs_big_endian.pcap',
  'gopacket__pcapng-be__test202.pcapng',
  'magma__gx_gy_combined_05_210505_133111-1.pcapng',
];

async function writeAll(
  records: PacketRecord[],
  path: string,
  format: CaptureFormat,
  nanosecond?: boolean,
): Promise<void> {
  const writer = createCaptureWriter(path, { format, nanosecond });
  for (const r of records) writer.write(r);
  await writer.close();
  assert.equal(writer.packetsWritten, records.length);
}

/** What survives any container: the instant, the lengths and the bytes. */
function essentials(frames: TsharkFrame[], dropSubMicro: boolean): string[] {
  return frames.map((f) => {
    const ns = f.timeNs ?? 0n;
    return `${dropSubMicro ? ns - (ns % 1000n) : ns} ${f.capLen} ${f.len} ${f.encapType} ${f.md5}`;
  });
}

function isSingleLinkType(records: PacketRecord[]): boolean {
  return new Set(records.map((r) => r.linkType)).size <= 1;
}

describe('round trip through the writers', () => {
  for (const name of TSHARK_CHECKED) {
    test(`tshark sees the same frames in ${name} rewritten as pcapng and pcap`, async () => {
      const input = corpusPcap(name);
      const { records, format } = readCaptureBuffer(readFileSync(input));
      const original = tsharkFrames(input, format === 'pcapng').frames;
      const ng = join(outDir, `${name}.out.pcapng`);
      await writeAll(records, ng, 'pcapng');
      const rewritten = tsharkFrames(ng, true).frames;
      assert.deepEqual(essentials(rewritten, false), essentials(original, false));
      assert.deepEqual(
        rewritten.map((f) => f.comments),
        original.map((f) => f.comments),
      );
      if (!isSingleLinkType(records)) return;
      const us = join(outDir, `${name}.out.pcap`);
      await writeAll(records, us, 'pcap', false);
      assert.deepEqual(essentials(tsharkFrames(us, false).frames, true), essentials(original, true));
      const ns = join(outDir, `${name}.ns.pcap`);
      await writeAll(records, ns, 'pcap', true);
      assert.deepEqual(essentials(tsharkFrames(ns, false).frames, false), essentials(original, false));
      const tcpdump = tryTool('tcpdump', ['-n', '-r', ns]);
      assert.equal(tcpdump.status, 0, tcpdump.stderr);
      assert.equal(tcpdump.stdout.split('\n').filter((l) => l.length > 0).length, records.length);
    });
  }

  test('every corpus file survives pcapng and (single link type) pcap rewriting record for record', async () => {
    for (const path of corpusCaptures()) {
      if (UNWRITABLE_TIMESTAMPS.has(basename(path))) continue;
      const source = readCaptureBuffer(readFileSync(path));
      const ng = join(outDir, `${basename(path)}.all.pcapng`);
      await writeAll(source.records, ng, 'pcapng');
      const back = readCaptureBuffer(readFileSync(ng));
      assert.equal(back.error, null);
      assert.deepEqual(
        back.records.map((r) => ({ ...copyRecord(r), interfaceId: 0 })),
        source.records.map((r) => ({ ...copyRecord(r), interfaceId: 0 })),
        basename(path),
      );
      if (!isSingleLinkType(source.records)) continue;
      const pcap = join(outDir, `${basename(path)}.all.pcap`);
      await writeAll(source.records, pcap, 'pcap', true);
      const again = readCaptureBuffer(readFileSync(pcap));
      assert.deepEqual(
        again.records.map((r) => [
          r.tsSec,
          r.tsNsec,
          r.origLen,
          r.linkType,
          Buffer.from(r.data).toString('hex'),
        ]),
        source.records.map((r) => [
          r.tsSec,
          r.tsNsec,
          r.origLen,
          r.linkType,
          Buffer.from(r.data).toString('hex'),
        ]),
      );
    }
  });

  test('pcap output refuses a second link type with PCAP_WRITER_LINKTYPE_MISMATCH', async () => {
    const { records } = readCaptureBuffer(readFileSync(corpusPcap('pcapplusplus__many_interfaces-1.pcapng')));
    const writer = createCaptureWriter(join(outDir, 'mixed.pcap'), { format: 'pcap' });
    const err = (() => {
      try {
        for (const r of records) writer.write(r);
      } catch (e) {
        return e as { code?: string };
      }
      return null;
    })();
    assert.equal(err?.code, E.PCAP_WRITER_LINKTYPE_MISMATCH);
    await writer.close();
  });

  test('the streaming reader feeds the writer directly (data copied before the next batch)', async () => {
    const input = corpusPcap('pcapplusplus__sll.pcap');
    const out = join(outDir, 'streamed.pcap');
    const reader = await openCapture(input, { batchSize: 16 });
    const writer = createCaptureWriter(out, { format: 'pcap', interfaces: [...reader.interfaces] });
    for await (const batch of reader.batches()) {
      for (const r of batch) writer.write(r);
      await writer.flush();
    }
    await writer.close();
    // µs in, µs out: the file must be byte-identical to the input apart from the header's snaplen.
    const a = readFileSync(input);
    const b = readFileSync(out);
    assert.equal(b.length, a.length);
    assert.deepEqual(b.subarray(24), a.subarray(24));
  });

  test('a capture of many output buffers is rewritten byte for byte, with blocking and with async I/O', async () => {
    // ~6 MiB of records (the corpus file's, repeated) crosses the 1 MiB read window and the
    // writer's reused output buffers many times, at every alignment the record sizes give.
    const original = readFileSync(corpusPcap('pcapplusplus__sll.pcap'));
    const records = original.subarray(24);
    const copies = Math.ceil((6 << 20) / records.length);
    const big = Buffer.concat([original.subarray(0, 24), ...Array<Buffer>(copies).fill(records)]);
    const input = join(outDir, 'many-buffers.pcap');
    writeFileSync(input, big);
    for (const blocking of [true, false]) {
      const out = join(outDir, `many-buffers-${blocking}.pcap`);
      const reader = await openCapture(input, { blockingReads: blocking });
      const writer = createCaptureWriter(out, {
        format: 'pcap',
        interfaces: [...reader.interfaces],
        blockingWrites: blocking,
      });
      for await (const batch of reader.batches()) {
        for (const r of batch) writer.write(r);
        await writer.flush();
      }
      await writer.close();
      assert.equal(reader.error, null);
      const written = readFileSync(out);
      assert.equal(written.length, big.length, `blocking I/O: ${blocking}`);
      assert.ok(written.subarray(24).equals(big.subarray(24)), `blocking I/O: ${blocking}`);
    }
    // A caller's stream may keep the chunks it was given (a PassThrough nobody reads yet):
    // they must still hold their bytes at the end.
    const kept: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => kept.push(chunk));
    const reader = await openCapture(input);
    const writer = createCaptureWriter(sink, { format: 'pcap', interfaces: [...reader.interfaces] });
    for await (const batch of reader.batches()) {
      for (const r of batch) writer.write(r);
      await writer.flush();
    }
    await writer.close();
    assert.ok(Buffer.concat(kept).subarray(24).equals(big.subarray(24)));
  });

  test('blocking reads report an unreadable path and a failed read with the usual codes', async () => {
    const missing = await openCapture(join(outDir, 'no-such.pcap'), { blockingReads: true });
    assert.equal(missing.error?.code, E.CAPTURE_OPEN_FAILED);
    const directory = await openCapture(outDir, { blockingReads: true });
    assert.equal(directory.error?.code, E.CAPTURE_IO_ERROR);
  });

  test('writeVector writes the same bytes as write() record by record, whatever the input encoding', async () => {
    // Little- and big-endian, micro- and nanosecond pcap, and pcapng (no raw headers), each
    // written in both pcap resolutions; every third record is left out so runs break at gaps.
    const inputs = [
      'pcapplusplus__sll.pcap',
      'pcapplusplus__microsecs_big_endian.pcap',
      'pcapplusplus__nanosecs_big_endian.pcap',
      'tcpdump__timestamp_invalid_nano.pcap',
      'ndpi__http2.pcapng',
    ];
    for (const name of inputs) {
      for (const nanosecond of [false, true]) {
        const label = `${name}, nanosecond ${nanosecond}`;
        const one = join(outDir, 'one-by-one.pcap');
        const vec = join(outDir, 'vectors.pcap');
        const reader = await openCapture(corpusPcap(name), { batchSize: 7 });
        const single = createCaptureWriter(one, { format: 'pcap', nanosecond });
        const vectors = createCaptureWriter(vec, { format: 'pcap', nanosecond });
        let seen = 0;
        for await (const batch of reader.batches()) {
          const kept = batch.filter(() => seen++ % 3 !== 2);
          for (const r of kept) single.write(r);
          vectors.writeVector(kept as FramedRecord[], kept.length);
          await Promise.all([single.flush(), vectors.flush()]);
        }
        await Promise.all([single.close(), vectors.close()]);
        assert.equal(reader.error, null, label);
        assert.ok(seen >= 3, label);
        assert.ok(readFileSync(vec).equals(readFileSync(one)), label);
        assert.equal(vectors.packetsWritten, single.packetsWritten, label);
      }
    }
  });

  test('writeVector refusing a second link type has written the records before it, as write() has', async () => {
    const sll = readCaptureBuffer(readFileSync(corpusPcap('pcapplusplus__sll.pcap'))).records;
    const ether = readCaptureBuffer(readFileSync(corpusPcap('pcapplusplus__DnsPackets.pcap'))).records;
    const vector = [sll[0], sll[1], ether[0], sll[2]] as FramedRecord[];
    assert.ok(vector.every((r) => r.rawHeader !== 0) && sll[0]!.linkType !== ether[0]!.linkType);
    const outputs: Buffer[] = [];
    for (const byVector of [true, false]) {
      const path = join(outDir, `mixed-${byVector}.pcap`);
      const writer = createCaptureWriter(path, { format: 'pcap' });
      assert.throws(
        () => (byVector ? writer.writeVector(vector, vector.length) : vector.forEach((r) => writer.write(r))),
        { code: E.PCAP_WRITER_LINKTYPE_MISMATCH },
      );
      await writer.close();
      outputs.push(readFileSync(path));
    }
    assert.equal(readCaptureBuffer(outputs[0]!).records.length, 2);
    assert.ok(outputs[0]!.equals(outputs[1]!));
  });

  test('blocking writes report an unopenable path and a failed write with the usual codes', async () => {
    const { records } = readCaptureBuffer(readFileSync(corpusPcap('pcapplusplus__sll.pcap')));
    const noDir = createCaptureWriter(join(outDir, 'no-such-dir', 'x.pcap'), {
      format: 'pcap',
      blockingWrites: true,
    });
    noDir.write(records[0]!);
    await assert.rejects(noDir.close(), { code: E.CAPTURE_OPEN_FAILED });
    // /dev/full takes the open and refuses every write (ENOSPC). The refusal comes when the
    // first buffer fills, and the next flush reports it rather than the end of the run.
    const full = createCaptureWriter('/dev/full', { format: 'pcap', blockingWrites: true });
    let bytes = 0;
    while (bytes <= 2 * 1024 * 1024) {
      for (const r of records) {
        full.write(r);
        bytes += 16 + r.data.length;
      }
    }
    await assert.rejects(full.flush(), { code: E.CAPTURE_IO_ERROR });
    await assert.rejects(full.close(), { code: E.CAPTURE_IO_ERROR });
  });

  test('formatForPath goes by extension, pcap by default', () => {
    assert.equal(formatForPath('x.pcapng'), 'pcapng');
    assert.equal(formatForPath('X.PCAPNG'), 'pcapng');
    assert.equal(formatForPath('x.pcap'), 'pcap');
    assert.equal(formatForPath('x.cap'), 'pcap');
  });
});
