import type { Command } from 'commander';
import type { CaptureTask } from '../capture/task-table.js';
import { addHubOptions, hubConnection, type HubFlags, hubJson, hubRequest, saveBody } from './hub-client.js';
import { parsePositiveInt } from './options.js';

/** `meshtap capture create|list|get|download|delete`: capture tasks on a running hub. */
export function registerCaptureCommand(program: Command): void {
  const capture = program.command('capture').description('Capture tasks on a running hub (meshtap tap)');

  addHubOptions(
    capture
      .command('create')
      .description('Start a capture task: a target, a duration, tcpdump parameters, a file name')
      .requiredOption('--file <name>', 'capture file name (.pcap or .pcapng, no directories)')
      .requiredOption('--duration <seconds>', 'how long to capture', parsePositiveInt)
      .option('--target <target>', '"host" or "netns:NAME"', 'host')
      .option(
        '--params <tcpdump-params>',
        'tcpdump parameters: -i, -s, -B, -Q, -p, -c, -y and a filter expression',
        '',
      )
      .option('--size-limit <bytes>', 'stop when the file reaches this size', parsePositiveInt)
      .option('--wait', 'wait for the task to end and print its final state'),
  ).action(
    async (
      flags: HubFlags & {
        file: string;
        duration: number;
        target: string;
        params: string;
        sizeLimit?: number;
        wait?: boolean;
      },
    ) => {
      const conn = hubConnection(flags);
      let task = await hubJson<CaptureTask>(conn, 'POST', '/api/captures', {
        fileName: flags.file,
        durationSeconds: flags.duration,
        target: flags.target,
        tcpdumpParams: flags.params,
        ...(flags.sizeLimit === undefined ? {} : { sizeLimitBytes: flags.sizeLimit }),
      });
      while (flags.wait && (task.state === 'Pending' || task.state === 'Running')) {
        await new Promise((r) => setTimeout(r, 500));
        task = await hubJson<CaptureTask>(conn, 'GET', `/api/captures/${task.id}`);
      }
      printTask(task);
    },
  );

  addHubOptions(capture.command('list').description('List capture tasks')).action(async (flags: HubFlags) => {
    const tasks = await hubJson<CaptureTask[]>(hubConnection(flags), 'GET', '/api/captures');
    process.stdout.write(
      `${'ID'.padEnd(5)} ${'STATE'.padEnd(9)} ${'PACKETS'.padStart(9)} ${'BYTES'.padStart(12)}  FILE  TARGET\n`,
    );
    for (const t of tasks) {
      const target = t.target.kind === 'netns' ? `netns:${t.target.netns}` : 'host';
      process.stdout.write(
        `${String(t.id).padEnd(5)} ${t.state.padEnd(9)} ${String(t.packets).padStart(9)} ${String(t.sizeBytes).padStart(12)}  ${t.fileName}  ${target}\n`,
      );
    }
  });

  addHubOptions(
    capture.command('get').description('Show one capture task').argument('<id>', 'task id', parsePositiveInt),
  ).action(async (id: number, flags: HubFlags) =>
    printTask(await hubJson<CaptureTask>(hubConnection(flags), 'GET', `/api/captures/${id}`)),
  );

  addHubOptions(
    capture
      .command('download')
      .description("Download a finished task's capture file")
      .argument('<id>', 'task id', parsePositiveInt)
      .option(
        '-o, --output <file>',
        'where to write it (- for standard output); default: the task file name',
      ),
  ).action(async (id: number, flags: HubFlags & { output?: string }) => {
    const conn = hubConnection(flags);
    const task = await hubJson<CaptureTask>(conn, 'GET', `/api/captures/${id}`);
    await saveBody(
      await hubRequest(conn, 'GET', `/api/captures/${id}/download`),
      flags.output ?? task.fileName,
    );
  });

  addHubOptions(
    capture
      .command('delete')
      .description('Stop a task and delete it with its file')
      .argument('<id>', 'task id', parsePositiveInt),
  ).action(async (id: number, flags: HubFlags) =>
    printTask(await hubJson<CaptureTask>(hubConnection(flags), 'DELETE', `/api/captures/${id}`)),
  );
}

function printTask(t: CaptureTask): void {
  const rows: Array<[string, unknown]> = [
    ['id', t.id],
    ['state', t.reason ? `${t.state} (${t.reason})` : t.state],
    ['file', t.fileName],
    ['target', t.target.kind === 'netns' ? `netns:${t.target.netns}` : 'host'],
    ['tcpdump', t.tcpdumpParams || '(defaults)'],
    ['duration', `${t.durationSeconds}s`],
    ['host', t.host],
    ['path', t.path],
    ['packets', t.packets],
    ['bytes', t.sizeBytes],
    ['kernel drops', t.kernelDrops ?? '-'],
    ['started', t.startedAt ?? '-'],
    ['ended', t.endedAt ?? '-'],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(13)} ${String(v)}\n`);
}
