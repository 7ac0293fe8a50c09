/**
 * Issue 3's benchmark: `meshtap read BIG -f EXPR -w OUT` against `tcpdump -r BIG -w OUT EXPR`
 * for a handful of typical expressions, best of interleaved rounds, with both outputs
 * compared record for record.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCapture } from '../src/pcap/index.js';
import { createFilterMatcher } from '../src/filter/index.js';
import { BENCH_ROUNDS, bestOf, ratio, sameFile } from './lib/measure.js';
import type { BenchContext } from './read.js';

const BENCH_EXPRESSIONS = [
  'tcp port 80',
  'host 10.0.0.1 or host 192.168.1.1',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'udp and (port 53 or port 5353)',
  'net 10.0.0.0/8 and not port 22',
  'vlan and ip',
];

/** The predicate alone, timed around its calls while the capture streams past: what filtering itself costs. */
async function predicateSeconds(
  input: string,
  expression: string,
): Promise<{ seconds: number; matched: number }> {
  const matches = createFilterMatcher(expression);
  const reader = await openCapture(input);
  let seconds = 0;
  let matched = 0;
  for await (const batch of reader.batches()) {
    const t = performance.now();
    for (const record of batch) if (matches(record)) matched++;
    seconds += (performance.now() - t) / 1000;
  }
  return { seconds, matched };
}

export async function benchFilter(ctx: BenchContext): Promise<void> {
  const ours = join(ctx.outDir, 'filter-meshtap.pcap');
  const theirs = join(ctx.outDir, 'filter-tcpdump.pcap');
  console.log(`\n## filter (best of ${BENCH_ROUNDS} interleaved rounds)`);
  console.log(
    '| expression | packets | tcpdump wall s | meshtap wall s | wall ratio | tcpdump CPU s | meshtap CPU s | CPU ratio | predicate alone s | same records |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const expression of BENCH_EXPRESSIONS) {
    const [tcpdump, meshtap] = await bestOf([
      { label: 'tcpdump', cmd: 'tcpdump', args: ['-r', ctx.bigCapture, '-w', theirs, '--', expression] },
      {
        label: 'meshtap',
        cmd: process.execPath,
        args: [ctx.meshtapBin, 'read', ctx.bigCapture, '-f', expression, '-w', ours],
      },
    ]);
    const predicate = await predicateSeconds(ctx.bigCapture, expression);
    console.log(
      `| \`${expression}\` | ${predicate.matched} | ${tcpdump.seconds.toFixed(2)} | ${meshtap.seconds.toFixed(2)} | ${ratio(meshtap.seconds, tcpdump.seconds)} | ${tcpdump.cpuSeconds.toFixed(2)} | ${meshtap.cpuSeconds.toFixed(2)} | ${ratio(meshtap.cpuSeconds, tcpdump.cpuSeconds)} | ${predicate.seconds.toFixed(2)} | ${sameFile(theirs, ours) ? 'yes' : 'NO'} |`,
    );
  }
  console.log('goal: meshtap within 1.5x of tcpdump');
}
