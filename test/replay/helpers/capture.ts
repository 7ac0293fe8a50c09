import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary directory tcpdump may write to (it drops privileges before opening the file). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-replay-'));
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * Captures loopback traffic matching `filter` with tcpdump while `exchange` runs, the way
 * scripts/make-sample.mjs was used: tcpdump starts first, the traffic follows, tcpdump stops.
 * --immediate-mode matters: without it libpcap hands packets over in ring-buffer blocks
 * (up to a second late), and a tcpdump stopped right after the traffic may have written none.
 * Resolves to the pcap path, or null when tcpdump cannot capture here (no privileges).
 */
export async function captureLoopback(
  dir: string,
  name: string,
  filter: string,
  exchange: () => Promise<void>,
): Promise<string | null> {
  const file = join(dir, name);
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-w', file, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => tcpdump.on('close', (code) => resolve(code)));
  const listening = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    tcpdump.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => resolve(false));
  });
  if (!listening) {
    tcpdump.kill('SIGKILL');
    return null;
  }
  try {
    await exchange();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    tcpdump.kill('SIGINT');
    await exited;
  }
  return file;
}
