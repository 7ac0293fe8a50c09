import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_ROUNDS, bestOf, ratio, type Timing } from './lib/measure.js';
import type { BenchContext } from './read.js';

/**
 * Issue 4's benchmark: entries from the big HTTP/1.1 + HTTP/2 capture, side by side with
 * tshark finding the HTTP and HTTP/2 requests of the same file, in one run.
 */
export async function benchEntries(ctx: BenchContext): Promise<void> {
  const bytes = statSync(ctx.bigCapture).size;
  const decodeAs = ['-d', 'tcp.port==3000,http2', '-d', 'tcp.port==2375,http'];
  // One line per matching frame, every method in it (a frame can carry several pipelined requests).
  const methods = (field: string) => ['-Y', field, '-T', 'fields', '-e', field];
  const jsonl = join(ctx.outDir, 'entries.jsonl');
  const table = join(ctx.outDir, 'entries.txt');
  const [http, http2, ours, ourTable] = await bestOf([
    {
      label: 'tshark -Y http',
      cmd: 'tshark',
      args: ['-r', ctx.bigCapture, ...decodeAs, ...methods('http.request.method')],
    },
    {
      label: 'tshark -Y http2',
      cmd: 'tshark',
      args: ['-r', ctx.bigCapture, ...decodeAs, ...methods('http2.headers.method')],
    },
    {
      label: 'meshtap entries',
      cmd: process.execPath,
      args: [ctx.meshtapBin, 'entries', ctx.bigCapture, '--format', 'jsonl'],
      // Hundreds of MB of JSON lines: more than one JS string can hold, so to a file, counted as it is read back.
      stdoutTo: jsonl,
    },
    {
      // The default format: one summary line an entry, as tshark prints one line a packet.
      // The same entries, less output: the difference is the cost of writing whole entries.
      label: 'meshtap entries (table)',
      cmd: process.execPath,
      args: [ctx.meshtapBin, 'entries', ctx.bigCapture],
      stdoutTo: table,
    },
  ]);
  const entries = await countProtocols(jsonl);
  const count = (protocol: string) => entries.get(protocol) ?? 0;
  const tsharkRequests = (t: { stdout: string }) =>
    t.stdout.split(/[\n,]/).filter((method) => method.length > 0).length;
  const gbps = (seconds: number) => `${((bytes * 8) / seconds / 1e9).toFixed(2)} Gbit/s`;

  console.log(`\n## entries (${(bytes / 1e9).toFixed(2)} GB; best of ${BENCH_ROUNDS} interleaved rounds)`);
  console.log(`| run | wall s | CPU s | found | rate (wall) | rate (per CPU second) | peak RSS |`);
  console.log(`|---|---|---|---|---|---|---|`);
  const row = (t: Timing, found: string) =>
    console.log(
      `| ${t.label} | ${t.seconds.toFixed(2)} | ${t.cpuSeconds.toFixed(2)} | ${found} | ${gbps(t.seconds)} | ${gbps(t.cpuSeconds)} | ${t.peakRssMb} MB |`,
    );
  row(http, `${tsharkRequests(http)} requests`);
  row(http2, `${tsharkRequests(http2)} requests`);
  row(ours, `${count('http')} http, ${count('http2')} http2 entries`);
  row(ourTable, `${(await countLines(table)) - 1} entries (all protocols)`);
  for (const t of [ours, ourTable]) {
    console.log(
      `${t.label} vs both tshark runs: ${ratio(http.seconds + http2.seconds, t.seconds)} faster by wall time, ` +
        `${ratio(http.cpuSeconds + http2.cpuSeconds, t.cpuSeconds)} by CPU time (goal ≥ 10x; ≥ 1 Gbit/s per core)`,
    );
  }
}

/** Lines of a text file (the table's header and one line an entry), read as a stream. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const _line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) lines++;
  return lines;
}

/** Entries per protocol in a JSON-lines file, read line by line. */
async function countProtocols(path: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const protocol = /"protocol":"([a-z0-9]+)"/.exec(line)?.[1];
    if (protocol !== undefined) counts.set(protocol, (counts.get(protocol) ?? 0) + 1);
  }
  return counts;
}
