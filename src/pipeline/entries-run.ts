import { once } from 'node:events';
import type { Entry, EntryDraft } from '../dissect/entry.js';
import { DEFAULT_DISSECT_LIMITS } from '../dissect/types.js';
import type { CaptureReader } from '../pcap/index.js';
import type { MeshtapError } from '../util/errors.js';
import type { TraceSpec } from '../cli/options.js';
import { entryTableRow, entryToHar, isHarEntry, TABLE_HEADER } from './entry-format.js';
import { FlowPlane } from './flow-plane.js';
import { armTraces, writeStats } from './stats.js';
import { feedCapture } from './feed-capture.js';
import { buildEntriesGraph, CAPTURE_INPUT } from './read-graph.js';
import { CaptureSource } from './capture-source.js';

export type EntriesFormat = 'table' | 'jsonl' | 'har';

export interface EntriesOptions {
  /** A file path, '-' for standard input, or an already-open reader (a live source such as the VXLAN receiver). */
  source: string | CaptureReader;
  filter?: string;
  format: EntriesFormat;
  traces: readonly TraceSpec[];
  stats: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface EntriesResult {
  entries: number;
  error: MeshtapError | null;
}

/**
 * Writes of this size are encoded into memory the allocator reuses; a whole vector's text as
 * one string (hundreds of KB) needed fresh memory for its encoded copy on every write. In a CPU
 * profile of 20k packets (7k entries), encoding for stdout fell from 3.4 s to 0.85 s.
 */
const WRITE_CHUNK_CHARS = 48 * 1024;

/**
 * A HAR file is one JSON document, written as `JSON.stringify(doc, null, 2)` would write it but
 * an entry at a time, so that memory does not grow with the capture (held whole, the entries of
 * a 200k-packet capture took 1 GB). Each piece is a line; the entries array sits three levels
 * deep (six spaces), and an entry learns that it needs a comma when the next one comes.
 */
const HAR_HEAD =
  '{\n  "log": {\n    "version": "1.2",\n    "creator": {\n      "name": "meshtap",\n      "version": "0.1.0"\n    },\n    "pages": [],\n    "entries": [';
const HAR_TAIL = '    ]\n  }\n}';
/** With no entries the array is `[]`, as the one-shot stringify writes it. */
const HAR_EMPTY_TAIL = ']\n  }\n}';
const HAR_ENTRY_INDENT = '      ';

/** Collects entries and writes them in the chosen format in chunks of about 48 KB. */
class EntryWriter {
  private chunks: string[] = [];
  private chunkChars = 0;
  /** The HAR entry written last, held until it is known whether another follows it. */
  private harPending: string | null = null;
  private blocked = false;
  count = 0;

  constructor(
    private readonly format: EntriesFormat,
    private readonly out: NodeJS.WritableStream,
  ) {
    if (format === 'table') this.push(TABLE_HEADER);
  }

  /** The id of the next entry: entries are numbered from 1 in the order they are written. */
  nextId(): string {
    return String(++this.count);
  }

  add(entry: Entry): void {
    if (this.format === 'jsonl') this.push(JSON.stringify(entry));
    else if (this.format === 'table') this.push(entryTableRow(entry));
    else if (isHarEntry(entry)) this.addHar(entry);
  }

  /** One element of the HAR entries array, indented in place (strings hold no raw newlines). */
  private addHar(entry: Entry): void {
    this.push(this.harPending === null ? HAR_HEAD : this.harPending + ',');
    const text = JSON.stringify(entryToHar(entry), null, 2);
    this.harPending = HAR_ENTRY_INDENT + text.replaceAll('\n', '\n' + HAR_ENTRY_INDENT);
  }

  /** Writes what is held and waits for the output to take it (once per vector: backpressure). */
  async drain(): Promise<void> {
    this.flush();
    await this.settle();
  }

  /** Waits for the output to take what was written, if it has not yet; nothing is written early. */
  async settle(): Promise<void> {
    if (this.blocked) {
      this.blocked = false;
      await once(this.out, 'drain');
    }
  }

  private push(line: string): void {
    this.chunks.push(line);
    this.chunkChars += line.length + 1;
    if (this.chunkChars >= WRITE_CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    // The final newline comes from joining an empty last line: `join('\n') + '\n'` is a cons
    // string that the write must first flatten into a fresh copy of the whole chunk. Joining
    // and encoding the 218 MB of lines of a 200k-packet capture took 0.35 s that way, 0.1 s so.
    this.chunks.push('');
    const text = this.chunks.join('\n');
    this.chunks = [];
    this.chunkChars = 0;
    if (!this.out.write(text)) this.blocked = true;
  }

  async finish(): Promise<void> {
    if (this.format === 'har') {
      if (this.harPending === null) this.push(HAR_HEAD + HAR_EMPTY_TAIL);
      else {
        this.push(this.harPending);
        this.push(HAR_TAIL);
      }
    }
    await this.drain();
  }
}

/**
 * A dissector's draft with its id first, field by field: a spread (`{ id, ...draft }`) copies
 * through a generic builtin that looks each property up, once per entry.
 */
function numbered(id: string, d: EntryDraft): Entry {
  return {
    id,
    protocol: d.protocol,
    transport: d.transport,
    streamId: d.streamId,
    index: d.index,
    src: d.src,
    dst: d.dst,
    timestampUs: d.timestampUs,
    elapsedUs: d.elapsedUs,
    request: d.request,
    response: d.response,
    requestSize: d.requestSize,
    responseSize: d.responseSize,
    flags: d.flags,
  };
}

/**
 * `meshtap entries SNAPSHOT`: entries already dissected (a snapshot's, named as they were when
 * captured) written in the same formats, numbered afresh.
 */
export async function writeEntries(
  pages: Iterable<readonly Entry[]>,
  format: EntriesFormat,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const writer = new EntryWriter(format, stdout);
  for (const page of pages) {
    for (const { id: _id, ...draft } of page) writer.add({ id: writer.nextId(), ...draft });
    await writer.drain();
  }
  await writer.finish();
  return writer.count;
}

/** `meshtap entries`: a capture file through decode, flows, reassembly and the dissectors. */
export async function runEntriesPipeline(opts: EntriesOptions): Promise<EntriesResult> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const writer = new EntryWriter(opts.format, stdout);
  const plane = new FlowPlane({
    // The table shows no bodies: they are counted (size, truncation), not copied and decoded.
    limits: opts.format === 'table' ? { ...DEFAULT_DISSECT_LIMITS, bodyText: false } : undefined,
    onEntry: (draft) => writer.add(numbered(writer.nextId(), draft)),
  });
  const input = new CaptureSource(opts.source, opts.filter, opts.traces);
  const graph = buildEntriesGraph({ filter: input.graphFilter, plane });
  armTraces(graph, opts.traces);
  const reader = await input.open();
  await feedCapture(reader, graph, () => writer.drain());
  await plane.finishInSteps(() => writer.settle());
  await writer.finish();
  const info = opts.format === 'table' ? stdout : stderr;
  if (opts.traces.length > 0) info.write(graph.tracer.show());
  if (opts.stats) {
    writeStats(info, graph, CAPTURE_INPUT, [
      ...input.stats(),
      ['streams', plane.protocols],
      ['flows', plane.flowCounters()],
      ['anomaly', plane.anomalies],
    ]);
  }
  if (reader.error) {
    stderr.write(`meshtap: ${reader.error.message} [${reader.error.code}]\n`);
    return { entries: writer.count, error: reader.error };
  }
  return { entries: writer.count, error: null };
}
