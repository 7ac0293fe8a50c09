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
