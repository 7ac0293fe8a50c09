import { statSync } from 'node:fs';
import { ratio, timeCommand } from './lib/measure.js';
import type { BenchContext } from './read.js';

/**
 * Issue 4's benchmark: entries from the big HTTP/1.1 + HTTP/2 capture, side by side with
 * tshark finding the HTTP and HTTP/2 requests of the same file, in one run.
 */
export async function benchEntries(ctx: BenchContext): Promise<void> {
  const bytes = statSync(ctx.bigCapture).size;
  const decodeAs = ['-d', 'tcp.port==3000,http2', '-d', 'tcp.port==2375,http'];
  const fields = ['-T', 'fields', '-e', 'frame.number'];
  const http = await timeCommand('tshark -Y http', 'tshark', [
    '-r',
    ctx.bigCapture,
    ...decodeAs,
    '-Y',
    'http.request',
    ...fields,
  ]);
  const http2 = await timeCommand('tshark -Y http2', 'tshark', [
    '-r',
    ctx.bigCapture,
    ...decodeAs,
    '-Y',
    'http2.headers.method',
    ...fields,
  ]);
  const ours = await timeCommand('meshtap entries', process.execPath, [
    ctx.meshtapBin,
    'entries',
    ctx.bigCapture,
    '--format',
    'jsonl',
    '--stats',
  ]);
  const lines = ours.stdout.split('\n');
  const count = (protocol: string) =>
    lines.filter((l) => l.startsWith('{') && l.includes(`"protocol":"${protocol}"`)).length;
  const rss = Number(/^peak RSS (\d+) MB$/m.exec(ours.stderr)?.[1] ?? NaN);
  const tsharkRequests = (t: { stdout: string }) => t.stdout.split('\n').filter((l) => l.length > 0).length;

  console.log(`\n## entries (${(bytes / 1e9).toFixed(2)} GB)`);
  console.log(`| run | seconds | found | rate |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| tshark -Y http.request | ${http.seconds.toFixed(2)} | ${tsharkRequests(http)} frames with requests | |`,
  );
  console.log(
    `| tshark -Y http2.headers.method | ${http2.seconds.toFixed(2)} | ${tsharkRequests(http2)} frames with requests | |`,
  );
  console.log(
    `| meshtap entries | ${ours.seconds.toFixed(2)} | ${count('http')} http, ${count('http2')} http2 entries | ${((bytes * 8) / ours.seconds / 1e9).toFixed(2)} Gbit/s, peak RSS ${rss} MB |`,
  );
  console.log(
    `meshtap vs both tshark runs: ${ratio(http.seconds + http2.seconds, ours.seconds)} faster (goal ≥ 10x)`,
  );
}
