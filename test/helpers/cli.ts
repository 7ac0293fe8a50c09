import { execFile, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = resolve(projectRoot, 'src', 'cli', 'main.ts');

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs the meshtap CLI from source in a child process, as a user would run the bin. */
export function meshtap(args: string[], input?: Uint8Array): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    input,
    maxBuffer: 256 << 20,
    cwd: projectRoot,
  });
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/**
 * The CLI in a child process without blocking this one's event loop (for a server the test runs
 * here), in `cwd` (default: the project). tsx is resolved here, so any directory will do.
 */
export function meshtapAsync(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<Omit<CliRun, 'stdoutBytes'>> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), MAIN, ...args],
      { cwd: opts.cwd ?? projectRoot, timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        done({ status, stdout, stderr });
      },
    );
  });
}
