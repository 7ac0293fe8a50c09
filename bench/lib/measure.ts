import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Timing {
  label: string;
  seconds: number;
  /** CPU time of the command (user + system), from GNU time; NaN when /usr/bin/time is missing. */
  cpuSeconds: number;
  /** Peak resident memory of the command in MB, from GNU time; NaN when /usr/bin/time is missing. */
  peakRssMb: number;
  stdout: string;
  stderr: string;
}

/**
 * GNU time reports a child's CPU time and peak RSS. Wall time alone misleads on a shared or
 * virtualised machine (I/O waits and other tenants count in it), so benchmarks report both:
 * "per core" goals are CPU-time goals. Debian package `time`; without it those columns are NaN.
 */
const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command to completion and measures its wall-clock time, CPU time and peak RSS.
 * stdout is captured (small outputs only) or sent to a file/`/dev/null` with `stdoutTo`.
 */
export async function timeCommand(
  label: string,
  cmd: string,
  args: string[],
  stdoutTo?: string,
): Promise<Timing> {
  const fd = stdoutTo === undefined ? null : openSync(stdoutTo, 'w');
  const timed = existsSync(GNU_TIME);
  const scratch = mkdtempSync(join(tmpdir(), 'meshtap-bench-time-'));
  const usageFile = join(scratch, 'usage');
  const argv = timed ? ['-o', usageFile, '-f', '%U %S %M', cmd, ...args] : args;
  const started = process.hrtime.bigint();
  const child = spawn(timed ? GNU_TIME : cmd, argv, { stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (fd !== null) closeSync(fd);
  const [user, system, rssKb] = timed ? readUsage(usageFile) : [NaN, NaN, NaN];
  rmSync(scratch, { recursive: true, force: true });
  if (status !== 0) throw new Error(`${label}: ${cmd} exited ${status}: ${stderr.slice(0, 500)}`);
  return { label, seconds, cpuSeconds: user + system, peakRssMb: Math.round(rssKb / 1024), stdout, stderr };
}

export interface CommandSpec {
  label: string;
  cmd: string;
  args: string[];
  stdoutTo?: string;
  /** Runs before each timed run, untimed (e.g. removing what the previous run wrote). */
  before?: () => void;
}

/** Rounds of every comparison: BENCH_ROUNDS, 3 by default. */
export const BENCH_ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/**
 * Runs the commands `rounds` times, interleaved (a, b, c, a, b, c, ...), and keeps each
 * command's best wall time and best CPU time. On a shared VM the same command varies several
 * times over from run to run (CPU steal, memory stalls); interleaving lets a slow spell hit
 * every command alike, and the best of each is the figure least disturbed by others.
 */
export async function bestOf(commands: CommandSpec[], rounds = BENCH_ROUNDS): Promise<Timing[]> {
  const best: Array<Timing | null> = commands.map(() => null);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of commands.entries()) {
      c.before?.();
      const t = await timeCommand(c.label, c.cmd, c.args, c.stdoutTo);
      const kept = best[i];
      best[i] =
        kept === null
          ? t
          : {
              ...t,
              seconds: Math.min(kept.seconds, t.seconds),
              cpuSeconds: Math.min(kept.cpuSeconds, t.cpuSeconds),
              peakRssMb: Math.max(kept.peakRssMb, t.peakRssMb),
            };
    }
  }
  return best.map((t) => t!);
}

/** The last line GNU time wrote: "user system maxrss-kB" (earlier lines say how the command ended). */
function readUsage(path: string): number[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return (lines[lines.length - 1] ?? '').split(' ').map(Number);
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

/** Whether two files hold the same bytes (cmp), past `skip` leading bytes (a file header). */
export function sameFile(a: string, b: string, skip = 0): boolean {
  return spawnSync('cmp', ['-s', '-i', String(skip), a, b]).status === 0;
}
