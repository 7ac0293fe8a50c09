import type { Command } from 'commander';
import { entryTableRow } from '../pipeline/entry-format.js';
import type { BindingSource } from '../resolve/types.js';
import type { Store } from '../store/store.js';
import { UsageError } from '../util/errors.js';
import { defaultDataDir } from './hub-client.js';
import { parseChoice, parsePositiveInt, parseTimeFlag } from './options.js';
import { registerHubSnapshotCommands } from './hub-snapshots.js';

/** A file is read as fast as it goes, so its entries are committed in thousands, not per vector. */
const INGEST_COMMIT_ENTRIES = 2000;

interface DataFlags {
  data: string;
  node?: string;
}

function dataOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'the data directory of the store', defaultDataDir())
    .option('--node <name>', 'this node’s name in the store (default: the host name)');
}

/** The store (SQLite) and what works on it load only for the commands that use them. */
async function withStore<T>(flags: DataFlags, run: (store: Store) => Promise<T>): Promise<T> {
  const { Store } = await import('../store/store.js');
  const store = await Store.open({ dataDir: flags.data, node: flags.node });
  try {
    return await run(store);
  } finally {
    store.close();
  }
}

/** The query must compile before anything is read: errors say where and why. */
async function checkedQuery(query: string): Promise<string> {
  const { validateQuery } = await import('../query/index.js');
  const problems = validateQuery(query);
  if (problems.length > 0) {
    const p = problems[0];
    throw new UsageError(p.code, `query: ${p.message}`);
  }
  return query;
}

/** `meshtap ingest`, `meshtap query`, `meshtap export`, `meshtap snapshot create|open`: the store from the command line. */
export function registerStoreCommands(program: Command): void {
  dataOptions(
    program
      .command('ingest')
      .description('Read a capture file into the store: one pcap per stream, entries indexed, names recorded')
      .argument('<file>', 'capture file, or - for standard input')
      .option('-f, --filter <expression>', 'pcap-filter expression applied to packets first')
      .option(
        '--inventory <file>',
        'YAML/JSON map of IPs or CIDRs to {name, namespace}, true for the whole capture',
      )
      .option('--netns-names', 'name addresses after the local network namespaces that hold them'),
  ).action(
    async (
      file: string,
      flags: DataFlags & { filter?: string; inventory?: string; netnsNames?: boolean },
    ) => {
      await withStore(flags, async (store) => {
        const sources: BindingSource[] = [];
        const { InventoryResolver, NetnsResolver } = await import('../resolve/index.js');
        if (flags.inventory) sources.push(InventoryResolver.fromFile(flags.inventory));
        if (flags.netnsNames) sources.push(new NetnsResolver());
        if (sources.length > 0) await store.learnNames(sources, 0);
        const result = await store.ingestFile(file, {
          filter: flags.filter,
          commitEntries: INGEST_COMMIT_ENTRIES,
        });
        process.stdout.write(`${result.packets} packets, ${result.entries} entries into ${flags.data}\n`);
        if (result.error) {
          process.stderr.write(`meshtap: ${result.error.message} [${result.error.code}]\n`);
          process.exitCode = 1;
        }
      });
    },
  );

  dataOptions(
    program
      .command('query')
      .description('Search stored entries with the query language (docs/query-language.md)')
      .argument('[query]', 'e.g. http and response.status >= 500', '')
      .option('--since <time>', 'ISO time or duration back from now (15m, 2h)', parseTimeFlag)
      .option('--until <time>', 'ISO time or duration back from now', parseTimeFlag)
      .option('-n, --limit <n>', 'most entries to print', parsePositiveInt, 100)
      .option('--format <format>', 'table or jsonl', 'table')
      .option('--validate', 'only check the query and print its errors'),
  ).action(
    async (
      query: string,
      flags: DataFlags & {
        since?: number;
        until?: number;
        limit: number;
        format: string;
        validate?: boolean;
      },
    ) => {
      if (flags.validate) {
        const { validateQuery } = await import('../query/index.js');
        const problems = validateQuery(query);
        for (const p of problems)
          process.stdout.write(`${p.position.line}:${p.position.column} ${p.code} ${p.message}\n`);
        if (problems.length > 0) process.exitCode = 2;
        return;
      }
      const format = parseChoice(flags.format, ['table', 'jsonl'] as const, '--format', 'CLI_BAD_FORMAT');
      await withStore(flags, async (store) => {
        const page = store.entries.query(await checkedQuery(query), {
          since: flags.since,
          until: flags.until,
          limit: flags.limit,
        });
        for (const e of page.entries)
          process.stdout.write(format === 'jsonl' ? `${JSON.stringify(e)}\n` : `${entryTableRow(e)}\n`);
      });
    },
  );

  dataOptions(
    program
      .command('export')
      .description('Write the packets of every stream with a matching entry, merged in time order')
      .requiredOption(
        '-q, --query <query>',
        'entry query; streams with at least one matching entry are exported',
      )
      .requiredOption('-w, --write <file>', 'output capture (.pcap or .pcapng; - for standard output)')
      .option('-f, --filter <expression>', 'pcap-filter expression the exported packets must also match')
      .option('--since <time>', 'entries from this time', parseTimeFlag)
      .option('--until <time>', 'entries before this time', parseTimeFlag)
      .option('--out-format <format>', 'pcap or pcapng (default: by the -w extension)'),
  ).action(
    async (
      flags: DataFlags & {
        query: string;
        write: string;
        filter?: string;
        since?: number;
        until?: number;
        outFormat?: string;
      },
    ) => {
      const { formatForPath } = await import('../pcap/index.js');
      const format = flags.outFormat
        ? parseChoice(flags.outFormat, ['pcap', 'pcapng'] as const, '--out-format', 'CLI_BAD_FORMAT')
        : (formatForPath(flags.write) ?? 'pcap');
      await withStore(flags, async (store) => {
        const dest = flags.write === '-' ? process.stdout : flags.write;
        const { exportMatchingStreams } = await import('../export/export-streams.js');
        const r = await exportMatchingStreams(store, await checkedQuery(flags.query), dest, {
          format,
          filter: flags.filter,
          since: flags.since,
          until: flags.until,
        });
        process.stderr.write(`${r.packets} packets from ${r.streams} streams\n`);
      });
    },
  );

  const snapshot = program
    .command('snapshot')
    .description('Snapshots: matching streams, entries and names in one .tar.gz');
  dataOptions(
    snapshot
      .command('create')
      .description('Write the matching streams, their entries and the name history to a .tar.gz')
      .requiredOption('-q, --query <query>', 'entry query selecting the streams')
      .requiredOption('-o, --output <file>', 'the snapshot file (.tar.gz)')
      .option('--since <time>', 'entries from this time', parseTimeFlag)
      .option('--until <time>', 'entries before this time', parseTimeFlag),
  ).action(async (flags: DataFlags & { query: string; output: string; since?: number; until?: number }) => {
    await withStore(flags, async (store) => {
      const { createSnapshot } = await import('../snapshot/snapshot.js');
      const m = await createSnapshot(store, await checkedQuery(flags.query), flags.output, {
        since: flags.since,
        until: flags.until,
      });
      process.stdout.write(`${flags.output}: ${m.streams} streams, ${m.entries} entries\n`);
    });
  });
  snapshot
    .command('open')
    .description('Check and unpack a snapshot into a new data directory, rebuilding its store')
    .argument('<file>', 'the snapshot (.tar.gz)')
    .requiredOption('--data <dir>', 'a new directory for the snapshot’s store')
    .action(async (file: string, flags: { data: string }) => {
      const { openSnapshot } = await import('../snapshot/snapshot.js');
      const { store, manifest } = await openSnapshot(file, flags.data);
      store.close();
      process.stdout.write(
        `${flags.data}: ${manifest.streams} streams, ${manifest.entries} entries (query: ${manifest.query || 'all'})\n`,
      );
      process.stdout.write(`query it with: meshtap query --data ${flags.data} '...'\n`);
    });
  registerHubSnapshotCommands(snapshot);
}
