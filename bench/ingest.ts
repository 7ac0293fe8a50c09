import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Store, STORE_DATABASE_FILE } from '../src/store/store.js';
import { BENCH_ROUNDS, bestOf, ratio, type Timing } from './lib/measure.js';
import type { BenchContext } from './read.js';

/**
 * Issue 5's ingest benchmark: the first MESHTAP_BENCH_INGEST_PACKETS packets (300,000 by
 * default) of the big capture read into a fresh store (`meshtap ingest`), beside the same
 * packets turned into entries without a store (`meshtap entries`, what the store adds shows
 * as the difference) and copied by tcpdump (`tcpdump -r -w`, the floor for writing packets).
 */
const PACKETS = Number(process.env.MESHTAP_BENCH_INGEST_PACKETS ?? 300_000);

export async function benchIngest(ctx: BenchContext): Promise<void> {
  const slice = join(ctx.outDir, `ingest-${PACKETS}.pcap`);
  const cut = spawnSync('tcpdump', ['-r', ctx.bigCapture, '-c', String(PACKETS), '-w', slice]);
  if (cut.status !== 0) throw new Error(`tcpdump could not cut the slice: ${cut.stderr.toString()}`);
  const bytes = statSync(slice).size;
  const store = join(ctx.outDir, 'ingest-store');
  const fresh = () => rmSync(store, { recursive: true, force: true });
  const node = process.execPath;
  const [tcpdump, entries, ingest] = await bestOf([
    {
      label: 'tcpdump -r -w',
      cmd: 'tcpdump',
      args: ['-r', slice, '-w', join(ctx.outDir, 'ingest-copy.pcap')],
    },
    {
      label: 'meshtap entries --format jsonl',
      cmd: node,
      args: [ctx.meshtapBin, 'entries', slice, '--format', 'jsonl'],
      stdoutTo: '/dev/null',
    },
    {
      label: 'meshtap ingest',
      cmd: node,
      args: [ctx.meshtapBin, 'ingest', slice, '--data', store, '--node', 'bench'],
      before: fresh,
    },
  ]);
  const stored = /(\d+) packets, (\d+) entries/.exec(ingest.stdout);
  const entryCount = Number(stored?.[2] ?? NaN);
  // The last run's store, as its own usage report counts it (the WAL is empty once it closed).
  const index = statSync(join(store, STORE_DATABASE_FILE)).size;
  const opened = await Store.open({ dataDir: store, node: 'bench' });
  const { streams: streamFiles, fileBytes: streams } = opened.usage();
  opened.close();
  fresh();

  console.log(
    `\n## ingest (${PACKETS.toLocaleString('en')} packets, ${(bytes / 1e6).toFixed(0)} MB; best of ${BENCH_ROUNDS} interleaved rounds)`,
  );
  console.log(
    '| run | wall s | CPU s | MB/s (wall) | MB/s per CPU s | entries/s (wall) | entries per CPU s | peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const row = (t: Timing, withEntries: boolean) =>
    console.log(
      `| ${t.label} | ${t.seconds.toFixed(2)} | ${t.cpuSeconds.toFixed(2)} | ${(bytes / 1e6 / t.seconds).toFixed(1)} | ` +
        `${(bytes / 1e6 / t.cpuSeconds).toFixed(1)} | ${withEntries ? Math.round(entryCount / t.seconds).toLocaleString('en') : ''} | ` +
        `${withEntries ? Math.round(entryCount / t.cpuSeconds).toLocaleString('en') : ''} | ${t.peakRssMb} MB |`,
    );
  row(tcpdump, false);
  row(entries, true);
  row(ingest, true);
  console.log(
    `store: ${entryCount.toLocaleString('en')} entries, index ${(index / 1e6).toFixed(0)} MB, ` +
      `${streamFiles.toLocaleString('en')} stream files ${(streams / 1e6).toFixed(0)} MB`,
  );
  console.log(
    `ingest/entries = ${ratio(ingest.seconds, entries.seconds)} wall, ${ratio(ingest.cpuSeconds, entries.cpuSeconds)} CPU ` +
      `(the store's share); ingest/tcpdump = ${ratio(ingest.seconds, tcpdump.seconds)} wall`,
  );
}
