import { Command, CommanderError } from 'commander';
import { MeshtapError, UsageError } from '../util/errors.js';
import { registerReadCommand } from './read.js';
import { registerEntriesCommand } from './entries.js';
import { registerReplayCommand } from './replay.js';
import { registerCaptureCommand } from './capture.js';
import { registerTraceCommands } from './trace.js';
import { registerStoreCommands } from './store-commands.js';
import { registerTapCommand } from './tap.js';
import { registerMirrorCommand } from './mirror.js';
import { registerMirrorReceiveCommand } from './mirror-receive.js';

/**
 * The meshtap command line. Each command lives in its own module and registers itself
 * here; this file only owns the program-wide behaviour: exit codes and error printing.
 * Exit status: 0 success, 1 runtime failure (bad capture file, I/O), 2 usage error.
 */
export function buildProgram(): Command {
  const program = new Command('meshtap')
    .description('Capture, dissect, store, query, mirror, trace and replay network traffic')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerReadCommand(program);
  registerEntriesCommand(program);
  registerReplayCommand(program);
  registerCaptureCommand(program);
  registerTraceCommands(program);
  registerStoreCommands(program);
  registerTapCommand(program);
  registerMirrorReceiveCommand(registerMirrorCommand(program));
  return program;
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are not failures.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof MeshtapError) {
    process.stderr.write(`meshtap: ${err.message} [${err.code}]\n`);
    return isUsageError(err) ? 2 : 1;
  }
  process.stderr.write(
    `meshtap: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 1;
}

/** Runs the program on argv and returns the exit status (never throws). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

/** Errors in what the user typed (options, filter expressions) exit with 2, like a shell usage error. */
function isUsageError(err: MeshtapError): boolean {
  return err instanceof UsageError || err.code.startsWith('FILTER_') || err.code.startsWith('QUERY_');
}
