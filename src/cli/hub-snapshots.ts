import type { Command } from 'commander';
import type { SnapshotInfo } from '../snapshot/snapshot-folder.js';
import { addHubOptions, hubConnection, type HubFlags, hubJson, hubRequest, saveBody } from './hub-client.js';
import { parseTimeFlag } from './options.js';

/** The hub's path of one snapshot: names are checked by the hub, but must still travel as one path segment. */
const snapshotPath = (name: string): string => `/api/snapshots/${encodeURIComponent(name)}`;

/** `meshtap snapshot take|list|download|delete`: snapshots kept by a running hub (meshtap tap). */
export function registerHubSnapshotCommands(snapshot: Command): void {
  addHubOptions(
    snapshot
      .command('take')
      .description(
        "Snapshot the hub's streams, entries and names matching a query into NAME.tar.gz on the hub",
      )
      .argument('<name>', 'snapshot name (".tar.gz" is added when missing; no directories)')
      .option('-q, --query <query>', 'entry query selecting the streams (default: all)', '')
      .option('--since <time>', 'entries from this time', parseTimeFlag)
      .option('--until <time>', 'entries before this time', parseTimeFlag),
  ).action(async (name: string, flags: HubFlags & { query: string; since?: number; until?: number }) => {
    const info = await hubJson<SnapshotInfo>(hubConnection(flags), 'POST', '/api/snapshots', {
      name,
      q: flags.query,
      ...(flags.since === undefined ? {} : { since: flags.since }),
      ...(flags.until === undefined ? {} : { until: flags.until }),
    });
    process.stdout.write(
      `${info.name}: ${info.streams} streams, ${info.entries} entries, ${info.size} bytes\n`,
    );
  });

  addHubOptions(snapshot.command('list').description('List the snapshots a hub keeps, newest first')).action(
    async (flags: HubFlags) => {
      const list = await hubJson<SnapshotInfo[]>(hubConnection(flags), 'GET', '/api/snapshots');
      process.stdout.write(
        `${'CREATED'.padEnd(24)} ${'BYTES'.padStart(12)} ${'STREAMS'.padStart(8)} ${'ENTRIES'.padStart(8)}  NAME  QUERY\n`,
      );
      const count = (n: number | undefined) => (n === undefined ? '-' : String(n)).padStart(8);
      for (const s of list) {
        process.stdout.write(
          `${s.createdAt.padEnd(24)} ${String(s.size).padStart(12)} ${count(s.streams)} ${count(s.entries)}  ${s.name}  ${s.query || 'all'}\n`,
        );
      }
    },
  );

  addHubOptions(
    snapshot
      .command('download')
      .description("Download one of the hub's snapshots")
      .argument('<name>', 'snapshot name')
      .option(
        '-o, --output <file>',
        'where to write it (- for standard output; never overwritten); default: NAME',
      ),
  ).action(async (name: string, flags: HubFlags & { output?: string }) => {
    const res = await hubRequest(hubConnection(flags), 'GET', `${snapshotPath(name)}/download`);
    // The hub names the file (".tar.gz" added) in content-disposition; it passed the save-name check there.
    const stored = /filename="([^"/\\]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
    await saveBody(res, flags.output ?? stored ?? name);
  });

  addHubOptions(
    snapshot
      .command('delete')
      .description("Delete one of the hub's snapshots")
      .argument('<name>', 'snapshot name'),
  ).action(async (name: string, flags: HubFlags) => {
    const info = await hubJson<SnapshotInfo>(hubConnection(flags), 'DELETE', snapshotPath(name));
    process.stdout.write(`deleted ${info.name}\n`);
  });
}
