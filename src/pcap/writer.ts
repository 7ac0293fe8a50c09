import { createWriteStream } from 'node:fs';
import { BlockingFileOutput } from './blocking-file-output.js';
import { OutputBuffer, type CaptureOutput } from './output-buffer.js';
import { PcapEncoder } from './pcap-encoder.js';
import { PcapngEncoder } from './pcapng-encoder.js';
import { MAX_RECORD_BYTES } from './limits.js';
import type { CaptureFormat, CaptureInterface, FramedRecord, PacketRecord } from './record.js';

export interface CaptureWriterOptions {
  format: CaptureFormat;
  /** The source's interfaces: names, descriptions and snaplens are carried into pcapng IDBs; the first one's link type heads a pcap. */
  interfaces?: CaptureInterface[];
  snaplen?: number;
  /** Nanosecond pcap; by default chosen when any source interface has finer than microsecond resolution. */
  nanosecond?: boolean;
  /** Write a file path with blocking writes (command-line runs; see BlockingFileOutput). */
  blockingWrites?: boolean;
}

export interface CaptureWriter {
  /** Encodes the record into the internal buffer (copying its data); throws PCAP_WRITER_LINKTYPE_MISMATCH for a second link type in pcap. */
  write(record: PacketRecord): void;
  /** Writes the first `count` records of a vector, as write() would one by one (pcap copies runs of them at once). */
  writeVector(records: readonly (FramedRecord | undefined)[], count: number): void;
  /** Passes buffered bytes on and waits until the destination has taken them (backpressure). */
  flush(): Promise<void>;
  /** Flushes and, for a path, closes the file. */
  close(): Promise<void>;
  readonly packetsWritten: number;
}

interface Encoder {
  write(record: PacketRecord): void;
  writeVector?(records: readonly (FramedRecord | undefined)[], count: number): void;
  finish(): void;
}

class BufferedCaptureWriter implements CaptureWriter {
  packetsWritten = 0;

  constructor(
    private readonly out: CaptureOutput,
    private readonly encoder: Encoder,
  ) {}

  write(record: PacketRecord): void {
    this.encoder.write(record);
    this.packetsWritten += 1;
  }

  writeVector(records: readonly (FramedRecord | undefined)[], count: number): void {
    const encoder = this.encoder;
    if (encoder.writeVector) {
      encoder.writeVector(records, count);
      this.packetsWritten += count;
    } else for (let i = 0; i < count; i++) this.write(records[i]!);
  }

  flush(): Promise<void> {
    return this.out.flush();
  }

  close(): Promise<void> {
    this.encoder.finish();
    return this.out.close();
  }
}

export function createCaptureWriter(
  dest: string | NodeJS.WritableStream,
  opts: CaptureWriterOptions,
): CaptureWriter {
  const out = openOutput(dest, opts.blockingWrites === true);
  const interfaces = opts.interfaces ?? [];
  // A pcapng snaplen of 0 means "no limit"; pcap readers expect a real bound there.
  const snaplen = opts.snaplen || interfaces[0]?.snaplen || MAX_RECORD_BYTES;
  const encoder =
    opts.format === 'pcapng'
      ? new PcapngEncoder(out, interfaces, snaplen)
      : new PcapEncoder(
          out,
          snaplen,
          opts.nanosecond ?? interfaces.some((i) => i.tsUnitsPerSecond > 1e6),
          interfaces[0]?.linkType,
        );
  return new BufferedCaptureWriter(out, encoder);
}

function openOutput(dest: string | NodeJS.WritableStream, blocking: boolean): CaptureOutput {
  if (typeof dest !== 'string') return new OutputBuffer(dest, false);
  return blocking ? new BlockingFileOutput(dest) : new OutputBuffer(createWriteStream(dest), true);
}

/** Output format for a -w path: `.pcapng` means pcapng, anything else pcap. */
export function formatForPath(path: string): CaptureFormat {
  return path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap';
}
