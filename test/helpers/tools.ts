import { execFileSync, spawnSync } from 'node:child_process';

/** Runs a reference tool (tshark, capinfos, tcpdump) and returns stdout; throws with stderr on failure. */
export function runTool(cmd: string, args: string[], input?: Uint8Array): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Like runTool but never throws: the test decides what a failure means. */
export function tryTool(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * One row per frame tshark reads from `path` (optionally through a display filter): epoch
 * time, captured and wire length, and the MD5 of the frame's bytes, tab-separated. Two
 * captures with equal rows hold the same packets with the same timestamps, in the same order.
 */
export function tsharkFrameRows(path: string, displayFilter?: string): string[] {
  const args = ['-r', path, '-o', 'frame.generate_md5_hash:TRUE', '-T', 'fields'];
  for (const f of ['frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.md5_hash']) args.push('-e', f);
  if (displayFilter !== undefined) args.push('-Y', displayFilter);
  return runTool('tshark', args)
    .split('\n')
    .filter((l) => l !== '');
}
