import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ratio, timeCommand } from './lib/measure.js';

export interface BenchContext {
  bigCapture: string;
  outDir: string;
  /** The built CLI entry (dist/cli/main.js): benchmarks measure what users run. */
  meshtapBin: string;
}

/**
 * Issue 2's benchmark: rewriting a big capture (meshtap read -w vs tcpdump -r -w) and
 * decoding it without output (meshtap read -q vs cat > /dev/null), in one run.
 */
export async function benchRead(ctx: BenchContext): Promise<void> {
  const bytes = statSync(ctx.bigCapture).size;
  const node = process.execPath;
  const cat = await timeCommand('cat > /dev/null', 'cat', [ctx.bigCapture], '/dev/null');
  const tcpdump = await timeCommand('tcpdump -r -w', 'tcpdump', [
    '-r',
    ctx.bigCapture,
    '-w',
    join(ctx.outDir, 'tcpdump.pcap'),
  ]);
  const rewrite = await timeCommand('meshtap read -w', node, [
    ctx.meshtapBin,
    'read',
    ctx.bigCapture,
    '-w',
    join(ctx.outDir, 'meshtap.pcap'),
    '--stats',
  ]);
  const decode = await timeCommand('meshtap read -q', node, [
    ctx.meshtapBin,
    'read',
    ctx.bigCapture,
    '-q',
    '--stats',
  ]);
  const packets = Number(/^(\d+) packets$/m.exec(decode.stdout)?.[1] ?? NaN);
  const rssRewrite = peakRss(rewrite.stdout);
  const rssDecode = peakRss(decode.stdout);

  console.log(`\n## read (${(bytes / 1e9).toFixed(2)} GB, ${packets} packets)`);
  console.log(`| run | seconds | rate | peak RSS |`);
  console.log(`|---|---|---|---|`);
  console.log(`| cat > /dev/null | ${cat.seconds.toFixed(2)} | ${mbps(bytes, cat.seconds)} | |`);
  console.log(
    `| tcpdump -r BIG -w OUT | ${tcpdump.seconds.toFixed(2)} | ${mbps(bytes, tcpdump.seconds)} | |`,
  );
  console.log(
    `| meshtap read BIG -w OUT | ${rewrite.seconds.toFixed(2)} | ${mbps(bytes, rewrite.seconds)} | ${rssRewrite} MB |`,
  );
  console.log(
    `| meshtap read BIG -q (decode) | ${decode.seconds.toFixed(2)} | ${(packets / decode.seconds / 1e6).toFixed(2)} Mpps | ${rssDecode} MB |`,
  );
  console.log(`rewrite: meshtap/tcpdump = ${ratio(rewrite.seconds, tcpdump.seconds)} (goal ≤ 1.5x)`);
  console.log(`decode: meshtap/cat = ${ratio(decode.seconds, cat.seconds)}; goal ≥ 1.5 Mpps per core`);
}

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

function peakRss(stats: string): number {
  return Number(/^peak RSS (\d+) MB$/m.exec(stats)?.[1] ?? NaN);
}
