import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSaveName, type SaveNameRule } from '../capture/task-spec.js';
import { compileQuery } from '../query/index.js';
import { createSnapshot, type SnapshotManifest } from './snapshot.js';
import type { TimeRange } from '../store/entries-index.js';
import type { Store } from '../store/store.js';
import { MeshtapError } from '../util/errors.js';

export const SNAPSHOT_FOLDER_CODES = {
  /** Not a plain file name: a path separator, `..`, a leading dot, other characters, empty, too long. */
  SNAPSHOT_BAD_NAME: 'SNAPSHOT_BAD_NAME',
  /** A snapshot of that name is stored (or being created). */
  SNAPSHOT_DUPLICATE_NAME: 'SNAPSHOT_DUPLICATE_NAME',
  SNAPSHOT_NOT_FOUND: 'SNAPSHOT_NOT_FOUND',
} as const;
const C = SNAPSHOT_FOLDER_CODES;

const EXTENSION = '.tar.gz';
/**
 * With the extension. The router refuses a path parameter longer than 100 characters, so a
 * longer name could be created but never downloaded or deleted.
 */
export const MAX_SNAPSHOT_NAME_LENGTH = 100;
const NAME_RULE: SaveNameRule = {
  field: 'name',
  code: C.SNAPSHOT_BAD_NAME,
  extensions: [EXTENSION],
  maxLength: MAX_SNAPSHOT_NAME_LENGTH,
  example: 'checkout-502.tar.gz',
};
/** Archives being written: hidden, so never listed; removed whole when the hub starts. */
const PARTIAL_DIR = '.partial';

/** A stored snapshot as the API shows it; the manifest's fields when its sidecar was written. */
export interface SnapshotInfo {
  name: string;
  size: number;
  createdAt: string;
  query?: string;
  since?: number | null;
  until?: number | null;
  node?: string;
  streams?: number;
  entries?: number;
}

/**
 * The hub's snapshot folder, `DATA/snapshots/`: one `NAME.tar.gz` per snapshot and a hidden
 * `.NAME.tar.gz.json` beside it holding the archive's manifest, so listing reads no archive.
 * The folder may also hold the directories `meshtap tap --pcap SNAPSHOT` unpacks into: only
 * files with a valid snapshot name are snapshots.
 */
export class SnapshotFolder {
  /** Names being created by this process: a second request for one is a duplicate at once. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly store: Store,
    readonly dir: string,
  ) {}

  /** Drops what an interrupted creation left behind (the hub's last run stopped mid-write). */
  async removeLeftovers(): Promise<void> {
    await rm(join(this.dir, PARTIAL_DIR), { recursive: true, force: true });
  }

  /** Creates NAME.tar.gz from the entries matching `query`; SNAPSHOT_DUPLICATE_NAME if the name is taken. */
  async create(rawName: string, query: string, range: TimeRange): Promise<SnapshotInfo> {
    const name = snapshotFileName(rawName);
    // A bad query is a 400 before anything is written.
    compileQuery(query);
    // Claimed before the first await, so a second request for the name is refused at once.
    if (this.creating.has(name)) throw duplicate(name);
    this.creating.add(name);
    try {
      if ((await statOrNull(this.pathOf(name))) !== null) throw duplicate(name);
      return await this.write(name, query, range);
    } finally {
      this.creating.delete(name);
    }
  }

  /**
   * Writes the archive under a temporary name in the same filesystem, then links it into
   * place: a link never replaces an existing file, so a stored snapshot cannot be lost, and a
   * failed or interrupted creation leaves nothing listed.
   */
  private async write(name: string, query: string, range: TimeRange): Promise<SnapshotInfo> {
    const partialDir = join(this.dir, PARTIAL_DIR);
    const partial = join(partialDir, `${randomBytes(8).toString('hex')}${EXTENSION}`);
    try {
      await mkdir(partialDir, { recursive: true });
      const manifest = await createSnapshot(this.store, query, partial, range);
      await link(partial, this.pathOf(name)).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? duplicate(name) : err;
      });
      try {
        await this.writeSidecar(name, manifest, `${partial}.json`);
      } catch (err) {
        // The link above made this file: without its sidecar the creation failed, and it goes.
        await rm(this.pathOf(name), { force: true });
        throw err;
      }
      return infoOf(name, await stat(this.pathOf(name)), manifest);
    } finally {
      await rm(partial, { force: true });
      await rm(`${partial}.json`, { force: true });
    }
  }

  /** Every stored snapshot, newest first. */
  async list(): Promise<SnapshotInfo[]> {
    const names = await readdir(this.dir).catch(ignoreMissing([] as string[]));
    const found = await Promise.all(names.filter(isSnapshotName).map((n) => this.infoOrNull(n)));
    return found
      .filter((s): s is SnapshotInfo => s !== null)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
  }

  /** One stored snapshot, or SNAPSHOT_NOT_FOUND. */
  async get(rawName: string): Promise<SnapshotInfo> {
    const name = snapshotFileName(rawName);
    const info = await this.infoOrNull(name);
    if (info === null) throw notFound(name);
    return info;
  }

  /** Opens a snapshot for reading: the stream keeps working if the snapshot is deleted meanwhile. */
  async openForDownload(
    rawName: string,
  ): Promise<{ name: string; size: number; stream: NodeJS.ReadableStream }> {
    const name = snapshotFileName(rawName);
    const handle = await open(this.pathOf(name), 'r').catch(ignoreMissing(null));
    if (handle === null) throw notFound(name);
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw notFound(name);
    }
    return { name, size: st.size, stream: handle.createReadStream() };
  }

  /** Removes a snapshot and its sidecar; answers what was removed. */
  async delete(rawName: string): Promise<SnapshotInfo> {
    const info = await this.get(rawName);
    // The sidecar first: a crash in between leaves an archive listed without its counts,
    // never counts without an archive.
    await rm(this.sidecarOf(info.name), { force: true });
    await unlink(this.pathOf(info.name)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? notFound(info.name) : err;
    });
    return info;
  }

  private pathOf(name: string): string {
    return join(this.dir, name);
  }

  private sidecarOf(name: string): string {
    return join(this.dir, `.${name}.json`);
  }

  /** The sidecar is written under a temporary name and renamed, so it is never read half-written. */
  private async writeSidecar(name: string, manifest: SnapshotManifest, temp: string): Promise<void> {
    await writeFile(temp, `${JSON.stringify(manifest)}\n`);
    await rename(temp, this.sidecarOf(name));
  }

  private async infoOrNull(name: string): Promise<SnapshotInfo | null> {
    const st = await statOrNull(this.pathOf(name));
    if (st === null || !st.isFile()) return null;
    return infoOf(name, st, await this.readSidecar(name));
  }

  private async readSidecar(name: string): Promise<SnapshotManifest | null> {
    try {
      const m = JSON.parse(await readFile(this.sidecarOf(name), 'utf8')) as Partial<SnapshotManifest>;
      return m.format === 'meshtap-snapshot' ? (m as SnapshotManifest) : null;
    } catch {
      // No sidecar (or a damaged one): the snapshot is listed with its size and date only.
      return null;
    }
  }
}

/** The stored file name for a requested name: `.tar.gz` is added when it is missing. */
export function snapshotFileName(raw: string): string {
  const full = raw === '' || raw.endsWith(EXTENSION) ? raw : `${raw}${EXTENSION}`;
  return checkSaveName(full, NAME_RULE);
}

function isSnapshotName(fileName: string): boolean {
  try {
    return snapshotFileName(fileName) === fileName;
  } catch {
    return false;
  }
}

function infoOf(name: string, st: Stats, manifest: SnapshotManifest | null): SnapshotInfo {
  const base = { name, size: st.size, createdAt: manifest?.createdAt ?? st.mtime.toISOString() };
  if (manifest === null) return base;
  const { query, since, until, node, streams, entries } = manifest;
  return { ...base, query, since, until, node, streams, entries };
}

async function statOrNull(path: string): Promise<Stats | null> {
  return stat(path).catch(ignoreMissing(null));
}

/** A catch handler that turns "no such file" into `value` and rethrows anything else. */
function ignoreMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return value;
    throw err;
  };
}

function duplicate(name: string): MeshtapError {
  return new MeshtapError(
    C.SNAPSHOT_DUPLICATE_NAME,
    `a snapshot named ${name} exists already; choose another name or delete it`,
  );
}

function notFound(name: string): MeshtapError {
  return new MeshtapError(C.SNAPSHOT_NOT_FOUND, `no snapshot ${name}`);
}
