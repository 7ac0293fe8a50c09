import { openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { CaptureFileError } from '../util/errors.js';
import { BlockingFileSource, FileSource, StreamSource, type ByteSource } from './byte-source.js';
import { CAPTURE_ERROR_CODES as E, captureError } from './codes.js';
import { DEFAULT_BATCH_SIZE, IO_CHUNK_BYTES } from './limits.js';
import {
  detectFormat,
  windowOf,
  windowRecord,
  type ByteWindow,
  type FormatParser,
  type NameRecord,
  type RecordFactory,
  type RecordGate,
} from './parser.js';
import { createParser } from './parsers.js';
import type { CaptureFormat, CaptureInterface, FramedRecord, PacketRecord } from './record.js';

export interface CaptureReader<R extends PacketRecord = PacketRecord> {
  /** null if the magic was not recognised (or the source could not be opened). */
  readonly format: CaptureFormat | null;
  /** Grows as pcapng IDBs are read. */
  readonly interfaces: readonly CaptureInterface[];
  /** pcapng Name Resolution Block records seen so far. */
  readonly names: ReadonlyArray<{ address: string; names: string[] }>;
  /** Vectors of up to batchSize records; each record's data is valid until the next batch is requested. */
  batches(): AsyncIterableIterator<R[]>;
  /** Set when the input was damaged or unreadable; every complete record before the damage was delivered. */
  readonly error: CaptureFileError | null;
  readonly bytesRead: number;
  close(): Promise<void>;
}

const NO_INTERFACES: CaptureInterface[] = [];
const NO_NAMES: NameRecord[] = [];
/** Only gives a new batch array object elements; never handed out. */
const NO_RECORD = {} as PacketRecord;

/**
 * Streams a capture through one reusable window: records are parsed as views into it,
 * and only the unparsed tail is moved to the front before the next read. The window
 * grows only to hold one unit the parser has already bounded (record or block limit).
 */
class StreamCaptureReader<R extends FramedRecord> implements CaptureReader<R> {
  format: CaptureFormat | null = null;
  bytesRead = 0;
  private parser: FormatParser<R> | null = null;
  private ownError: CaptureFileError | null = null;
  private win: ByteWindow = windowOf(new Uint8Array(IO_CHUNK_BYTES), 0);
  private pos = 0;
  private end = 0;
  private eof = false;
  private closed = false;

  constructor(
    private readonly source: ByteSource | null,
    private readonly batchSize: number,
    openError: CaptureFileError | null,
    private readonly makeRecord: RecordFactory<R>,
    private readonly gate: RecordGate | null = null,
  ) {
    this.ownError = openError;
  }

  get interfaces(): readonly CaptureInterface[] {
    return this.parser?.interfaces ?? NO_INTERFACES;
  }

  get names(): readonly NameRecord[] {
    return this.parser?.names ?? NO_NAMES;
  }

  get error(): CaptureFileError | null {
    return this.ownError ?? this.parser?.error ?? null;
  }

  /** Reads the magic number and picks the parser; called once by openCapture. */
  async start(): Promise<void> {
    if (this.source === null) return;
    await this.fill(4);
    this.format = detectFormat(this.win.view, 0, this.end);
    if (this.format === null) {
      this.ownError ??= captureError(E.PCAP_BAD_MAGIC, 'not a pcap or pcapng file', 0);
      await this.close();
      return;
    }
    this.parser = createParser(this.format, this.makeRecord);
    this.parser.gate = this.gate;
  }

  async *batches(): AsyncIterableIterator<R[]> {
    const parser = this.parser;
    if (parser === null) return;
    try {
      while (!this.closed) {
        // Made with object elements from the start: an empty literal starts as small integers,
        // and its first push of a record changes that, which left the parsers' push site
        // polymorphic and calling the builtin for every packet (~130 instructions each).
        const batch = [NO_RECORD] as R[];
        batch.length = 0;
        this.pos = parser.parse(this.win, this.pos, this.end, batch, this.batchSize);
        if (batch.length > 0) {
          yield batch;
          continue;
        }
        if (parser.error !== null || this.ownError !== null) return;
        if (this.eof) {
          parser.endOfInput(this.end - this.pos, this.win.base + this.pos);
          return;
        }
        await this.fill(parser.needed);
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.source?.close();
    } catch {
      // Closing is best effort: every record was already delivered or the error recorded.
    }
  }

  /** Moves the unparsed tail to the front, grows the window if one unit needs it, and reads until `needed` bytes are held. */
  private async fill(needed: number): Promise<void> {
    this.compact(needed);
    const bytes = this.win.bytes;
    try {
      const source = this.source!;
      while (this.end - this.pos < needed && !this.eof) {
        const count = await source.read(bytes, this.end, bytes.length - this.end);
        if (count === 0) this.eof = true;
        this.end += count;
        this.bytesRead += count;
      }
      // Whatever else has arrived joins this vector: a live source that fell behind catches up in large vectors.
      const more = source.readBuffered?.(bytes, this.end, bytes.length - this.end) ?? 0;
      this.end += more;
      this.bytesRead += more;
    } catch (err) {
      this.eof = true;
      this.ownError = captureError(
        E.CAPTURE_IO_ERROR,
        `read failed: ${(err as Error).message}`,
        this.bytesRead,
      );
    }
  }

  private compact(needed: number): void {
    const held = this.end - this.pos;
    const old = this.win;
    if (needed > old.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, IO_CHUNK_BYTES));
      grown.set(old.bytes.subarray(this.pos, this.end));
      this.win = windowOf(grown, old.base + this.pos);
    } else if (this.pos > 0) {
      old.bytes.copyWithin(0, this.pos, this.end);
      old.base += this.pos;
    }
    this.pos = 0;
    this.end = held;
  }
}

export interface OpenOptions {
  batchSize?: number;
  /** Read a file path with blocking reads (command-line runs; see BlockingFileSource). */
  blockingReads?: boolean;
  /** A capture filter applied as records are parsed: records it rejects are never handed out. */
  gate?: RecordGate;
}

/** Opens a capture file, '-' (stdin) or a readable stream. Never rejects: failures give a reader with `error` set. */
export function openCapture(
  source: string | NodeJS.ReadableStream,
  opts?: OpenOptions,
): Promise<CaptureReader>;
/** The same, handing out the records `makeRecord` makes. */
export function openCapture<R extends FramedRecord>(
  source: string | NodeJS.ReadableStream,
  opts: OpenOptions & { makeRecord: RecordFactory<R> },
): Promise<CaptureReader<R>>;
export async function openCapture(
  source: string | NodeJS.ReadableStream,
  opts: OpenOptions & { makeRecord?: RecordFactory<FramedRecord> } = {},
): Promise<CaptureReader<FramedRecord>> {
  const makeRecord = opts.makeRecord ?? windowRecord;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
  let byteSource: ByteSource;
  if (typeof source !== 'string') byteSource = new StreamSource(source);
  else if (source === '-') byteSource = new StreamSource(process.stdin);
  else {
    try {
      byteSource = opts.blockingReads
        ? new BlockingFileSource(openSync(source, 'r'))
        : new FileSource(await open(source, 'r'));
    } catch (err) {
      const error = captureError(
        E.CAPTURE_OPEN_FAILED,
        `cannot open ${source}: ${(err as Error).message}`,
        0,
      );
      return new StreamCaptureReader(null, batchSize, error, makeRecord);
    }
  }
  const reader = new StreamCaptureReader(byteSource, batchSize, null, makeRecord, opts.gate ?? null);
  await reader.start();
  return reader;
}
