import { PassThrough } from 'node:stream';
import type { Entry } from '../../src/dissect/entry.js';
import { runEntriesPipeline } from '../../src/pipeline/entries-run.js';

/** Runs the whole entries pipeline (decode → flows → reassembly → dissectors) on a file, in process. */
export async function entriesOf(file: string): Promise<Entry[]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await runEntriesPipeline({
    source: file,
    format: 'jsonl',
    traces: [],
    stats: false,
    stdout: out,
    stderr: new PassThrough(),
  });
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Entry);
}
