import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A snapshot is a gzip file (magic 1f 8b); capture files never start so. Only the first two
 * bytes are read. A file that cannot be opened is no snapshot: the capture reader then says
 * why it cannot be read, with its own code.
 */
export function isSnapshotFile(path: string): boolean {
  const head = Buffer.alloc(2);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
