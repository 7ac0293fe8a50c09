import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Timing {
  label: string;
  seconds: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and measures its wall-clock time. stdout is captured (small
 * outputs only) or sent to a file/`/dev/null` with `stdoutTo`.
 */
export async function timeCommand(
  label: string,
  cmd: string,
  args: string[],
  stdoutTo?: string,
): Promise<Timing> {
  const fd = stdoutTo === undefined ? null : openSync(stdoutTo, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (fd !== null) closeSync(fd);
  if (status !== 0) throw new Error(`${label}: ${cmd} exited ${status}: ${stderr.slice(0, 500)}`);
  return { label, seconds, stdout, stderr };
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}
