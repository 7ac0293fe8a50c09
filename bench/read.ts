import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ROUNDS, bestOf, ratio, sameFile } from './lib/measure.js';

export interface BenchContext {
  bigCapture: string;
  outDir: string;
  /** The built CLI (dist/bin/meshtap.js, the bundle `npm run build` makes): benchmarks measure what users run. */
  meshtapBin: string;
}

/**
 * Issue 2's benchmark: rewriting a big capture (meshtap read -w vs tcpdump -r -w) and
 * decoding it without output (meshtap read -q vs cat > /dev/null), in one run.
 */
export async function benchRead(ctx: BenchContext): Promise<void> {
  const bytes = statSync(ctx.bigCapture).size;
  const node = process.execPath;
  const [cat, tcpdump, rewrite, decode] = await bestOf([
    { label: 'cat > /dev/null', cmd: 'cat', args: [ctx.bigCapture], stdoutTo: '/dev/null' },
    {
      label: 'tcpdump -r -w',
      cmd: 'tcpdump',
      args: ['-r', ctx.bigCapture, '-w', join(ctx.outDir, 'tcpdump.pcap')],
    },
    {
      label: 'meshtap read -w',
      cmd: node,
      args: [ctx.meshtapBin, 'read', ctx.bigCapture, '-w', join(ctx.outDir, 'meshtap.pcap')],
    },
    { label: 'meshtap read -q', cmd: node, args: [ctx.meshtapBin, 'read', ctx.bigCapture, '-q'] },
  ]);
  const packets = Number(/^(\d+) packets$/m.exec(decode.stdout)?.[1] ?? NaN);

  console.log(
    `\n## read (${(bytes / 1e9).toFixed(2)} GB, ${packets} packets; best of ${BENCH_ROUNDS} interleaved rounds)`,
  );
  console.log(`| run | wall s | CPU s | rate (wall) | rate (per CPU second) | peak RSS |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const t of [cat, tcpdump, rewrite]) {
    console.log(
      `| ${t.label} | ${t.seconds.toFixed(2)} | ${t.cpuSeconds.toFixed(2)} | ${mbps(bytes, t.seconds)} | ${mbps(bytes, t.cpuSeconds)} | ${t.peakRssMb} MB |`,
    );
  }
  console.log(
    `| ${decode.label} | ${decode.seconds.toFixed(2)} | ${decode.cpuSeconds.toFixed(2)} | ${mpps(packets, decode.seconds)} | ${mpps(packets, decode.cpuSeconds)} | ${decode.peakRssMb} MB |`,
  );
  console.log(
    `rewrite: meshtap/tcpdump = ${ratio(rewrite.seconds, tcpdump.seconds)} wall, ${ratio(rewrite.cpuSeconds, tcpdump.cpuSeconds)} CPU (goal ≤ 1.5x)`,
  );
  console.log(
    `rewrite output identical to tcpdump's: ${sameFile(join(ctx.outDir, 'tcpdump.pcap'), join(ctx.outDir, 'meshtap.pcap'))}`,
  );
  console.log(
    `decode: ${mpps(packets, decode.cpuSeconds)} per CPU second (goal ≥ 1.5 Mpps per core); meshtap/cat wall = ${ratio(decode.seconds, cat.seconds)}`,
  );
}

function mbps(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

function mpps(packets: number, seconds: number): string {
  return `${(packets / seconds / 1e6).toFixed(2)} Mpps`;
}
