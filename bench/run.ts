import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { BIG_CAPTURE_FILE, ensureBigCapture } from './lib/big-capture.js';
import { benchRead } from './read.js';
import { benchFilter } from './filter.js';
import { benchEntries } from './entries.js';

/**
 * `npm run bench [names...]`: builds the CLI, builds the big capture once (bench/out/, not
 * committed; MESHTAP_BENCH_BYTES sets its size, 1.1 GB by default), then runs each
 * benchmark against tcpdump/tshark on the same input in the same run and prints ratios.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const corpus = process.env.MESHTAP_CORPUS ?? resolve(root, '..', 'shared', 'corpus');
const BENCHES: Record<string, (ctx: Parameters<typeof benchRead>[0]) => Promise<unknown>> = {
  read: benchRead,
  filter: benchFilter,
  entries: benchEntries,
  ingest: async (ctx) => (await import('./ingest.js')).benchIngest(ctx),
  query: async (ctx) => (await import('./query.js')).benchQuery(ctx),
  mirror: async (ctx) => (await import('./mirror.js')).benchMirror(ctx),
  live: async (ctx) => (await import('./live.js')).benchLive(ctx),
};

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(BENCHES);
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  // Node parses that certificate bundle at every start, TLS or not (~60 ms per run on the
  // development VM, whose environment sets it); it is a cost of the machine's setup, not of
  // the commands compared, so the benchmarked processes run without it.
  console.log(
    `NODE_EXTRA_CA_CERTS (${process.env.NODE_EXTRA_CA_CERTS}) is unset for the benchmarked commands`,
  );
  delete process.env.NODE_EXTRA_CA_CERTS;
}
mkdirSync(outDir, { recursive: true });
const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const bytes = Number(process.env.MESHTAP_BENCH_BYTES ?? 1.1e9);
console.log(`the benchmark capture (${(bytes / 1e9).toFixed(2)} GB): made unless it is already there...`);
const bigCapture = await ensureBigCapture(join(outDir, BIG_CAPTURE_FILE), bytes, join(corpus, 'pcaps'));
const ctx = { bigCapture, outDir, meshtapBin: join(root, 'dist', 'bin', 'meshtap.js') };
for (const name of wanted) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown benchmark ${name}; have ${Object.keys(BENCHES).join(', ')}`);
  await bench(ctx);
}
