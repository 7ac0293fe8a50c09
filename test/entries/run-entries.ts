import { PassThrough } from 'node:stream';
import type { Entry } from '../../src/dissect/entry.js';
import { runEntriesPipeline, type EntriesFormat } from '../../src/pipeline/entries-run.js';

/** Runs the whole entries pipeline (decode → flows → reassembly → dissectors) on a file, in process; returns its output. */
export async function entriesOutput(file: string, format: EntriesFormat): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await runEntriesPipeline({
    source: file,
    format,
    traces: [],
    stats: false,
    stdout: out,
    stderr: new PassThrough(),
  });
  return Buffer.concat(chunks).toString('utf8');
}

/** The entries of a file, as the JSON-lines output gives them. */
export async function entriesOf(file: string): Promise<Entry[]> {
  return (await entriesOutput(file, 'jsonl'))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Entry);
}
