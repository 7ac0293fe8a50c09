import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MeshtapError } from '../util/errors.js';
import { STORE_ERROR_CODES } from './layout.js';

/**
 * The open file descriptors of the stream files, at most `maxOpen` of them: a store may
 * hold far more live streams than a process may hold descriptors, so the least recently
 * written file is closed when another must open, and reopened in append mode when its
 * stream has packets again. Writes are synchronous whole-buffer writes (see write()).
 */
export class StreamFileHandles {
  /** Path → descriptor, least recently used first (a Map keeps insertion order). */
  private readonly open = new Map<string, number>();

  constructor(private readonly maxOpen: number) {}

  get openCount(): number {
    return this.open.size;
  }

  /**
   * Appends `bytes[0, length)` to the file. The buffer holds whole records only, so after the
   * process is killed at any point every record of an earlier write is in the file. If the
   * write fails part-way (disk full), the file is cut back to `goodLength` (its size before
   * the write) so that it never ends in a torn record, and STORE_WRITE_FAILED is thrown.
   */
  write(path: string, bytes: Uint8Array, length: number, goodLength: number): void {
    let fd = -1;
    try {
      fd = this.descriptor(path);
      let done = 0;
      while (done < length) done += writeSync(fd, bytes, done, length - done);
    } catch (err) {
      if (fd >= 0) this.cutBack(path, fd, goodLength);
      throw new MeshtapError(
        STORE_ERROR_CODES.STORE_WRITE_FAILED,
        `writing ${path}: ${(err as Error).message}`,
        {
          path,
        },
      );
    }
  }

  close(path: string): void {
    const fd = this.open.get(path);
    if (fd === undefined) return;
    this.open.delete(path);
    closeSync(fd);
  }

  closeAll(): void {
    for (const path of [...this.open.keys()]) this.close(path);
  }

  private descriptor(path: string): number {
    const fd = this.open.get(path);
    if (fd !== undefined) {
      this.open.delete(path); // move to the most recently used end
      this.open.set(path, fd);
      return fd;
    }
    while (this.open.size >= this.maxOpen) this.close(this.open.keys().next().value as string);
    const opened = openCreatingDir(path);
    this.open.set(path, opened);
    return opened;
  }

  private cutBack(path: string, fd: number, goodLength: number): void {
    try {
      ftruncateSync(fd, goodLength);
    } catch {
      // The reader still stops at the last whole record; recovery cuts the rest at the next start.
    }
    this.close(path);
  }
}

/** Opens for appending; the hour directory is made on the first miss (retention may have removed it). */
function openCreatingDir(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'a');
  }
}
