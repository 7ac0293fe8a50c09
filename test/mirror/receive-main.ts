import { Command, CommanderError } from 'commander';
import { registerMirrorReceiveCommand } from '../../src/cli/mirror-receive.js';
import { MeshtapError, UsageError } from '../../src/util/errors.js';

/**
 * `meshtap mirror receive` as the tests run it in a child process: the command registered
 * under a `mirror` command exactly as the program attaches it, with the program's exit
 * statuses (2 usage, 1 runtime) and error lines, but without loading every other command,
 * which keeps start-up short on a loaded machine.
 */
const program = new Command('meshtap').exitOverride();
registerMirrorReceiveCommand(program.command('mirror'));
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else if (!(err instanceof MeshtapError)) throw err;
  else {
    process.stderr.write(`meshtap: ${err.message} [${err.code}]\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
