import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFilterMatcher } from '../filter/index.js';
import {
  createCaptureWriter,
  openCapture,
  type CaptureFormat,
  type CaptureInterface,
  type CaptureReader,
} from '../pcap/index.js';
import { MeshtapError } from '../util/errors.js';
import { RecordHeap, type MergeCursor } from './record-heap.js';

export interface MergeOptions {
  format: CaptureFormat;
  /** An extra pcap-filter expression every written packet must match. */
  filter?: string;
  /** Readers open at once; more inputs are merged in rounds through temporary files. */
  maxOpenFiles?: number;
}

export interface MergeResult {
  packets: number;
  inputs: number;
}

const DEFAULT_MAX_OPEN_FILES = 128;

/**
 * Merges capture files into one, records in time order (ties keep the input order), the
 * way `mergecap` does. Memory stays bounded: each input holds one batch at a time, and
 * when there are more inputs than `maxOpenFiles` they are merged in rounds.
 */
export async function mergeCaptures(
  paths: readonly string[],
  dest: string | NodeJS.WritableStream,
  opts: MergeOptions,
): Promise<MergeResult> {
  const fanIn = Math.max(2, opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  if (paths.length <= fanIn) return mergeOnce(paths, dest, opts);
  const scratch = await mkdtemp(join(tmpdir(), 'meshtap-merge-'));
  try {
    let inputs = [...paths];
    for (let round = 0; inputs.length > fanIn; round++) {
      const next: string[] = [];
      for (let i = 0; i < inputs.length; i += fanIn) {
        const part = join(scratch, `r${round}-${next.length}.pcapng`);
        // Intermediate rounds keep every packet and every link type; the filter runs once, at the end.
        await mergeOnce(inputs.slice(i, i + fanIn), part, { format: 'pcapng' });
        next.push(part);
      }
      inputs = next;
    }
    const result = await mergeOnce(inputs, dest, opts);
    return { packets: result.packets, inputs: paths.length };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function mergeOnce(
  paths: readonly string[],
  dest: string | NodeJS.WritableStream,
  opts: MergeOptions,
): Promise<MergeResult> {
  const matches = opts.filter === undefined ? null : createFilterMatcher(opts.filter);
  const readers: CaptureReader[] = [];
  try {
    for (const path of paths) readers.push(await openReadable(path));
    const writer = createCaptureWriter(dest, {
      format: opts.format,
      interfaces: firstInterfaces(readers),
      nanosecond: readers.some((r) => r.interfaces.some((i) => i.tsUnitsPerSecond > 1e6)),
    });
    const heap = new RecordHeap();
    for (let i = 0; i < readers.length; i++) await advance(heap, newCursor(readers[i], i));
    let packets = 0;
    try {
      for (let cursor = heap.peek(); cursor !== undefined; cursor = heap.peek()) {
        const record = cursor.batch[cursor.index];
        const keep = matches === null || matches(record);
        if (keep) {
          writer.write(record);
          packets++;
        }
        heap.pop();
        await advance(heap, cursor);
        // Backpressure every 4096 written packets (not on every record the filter skips).
        if (keep && packets % 4096 === 0) await writer.flush();
      }
    } finally {
      await writer.close();
    }
    return { packets, inputs: paths.length };
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

async function openReadable(path: string): Promise<CaptureReader> {
  const reader = await openCapture(path);
  if (reader.error !== null && reader.format === null) {
    throw new MeshtapError(reader.error.code, `${path}: ${reader.error.message}`);
  }
  return reader;
}

function newCursor(reader: CaptureReader, order: number): MergeCursor {
  return { batches: reader.batches(), batch: [], index: 0, order };
}

/** Moves a cursor to its next record (reading the next batch when needed) and puts it back in the heap. */
async function advance(heap: RecordHeap, cursor: MergeCursor): Promise<void> {
  cursor.index++;
  while (cursor.index >= cursor.batch.length) {
    const next = await cursor.batches.next();
    // A damaged input ends where its damage starts: every complete record before it is merged.
    if (next.done) return;
    cursor.batch = next.value;
    cursor.index = 0;
  }
  heap.push(cursor);
}

function firstInterfaces(readers: readonly CaptureReader[]): CaptureInterface[] {
  const reader = readers.find((r) => r.interfaces.length > 0);
  return reader === undefined ? [] : [...reader.interfaces];
}
