import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { create, extract, list, type ReadEntry } from 'tar';
import { MeshtapError } from '../util/errors.js';

/** What goes into an archive: a file copied from disk, or bytes made in memory (manifests, JSON). */
export type ArchiveMember = { name: string; path: string } | { name: string; data: string | Uint8Array };

export interface ArchiveLimits {
  /** Most members (files and directories) an archive may hold. */
  maxEntries: number;
  /** Most bytes all files together may unpack to. */
  maxTotalBytes: number;
  /** Most bytes one file may unpack to. */
  maxFileBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 1_000_000,
  maxTotalBytes: 64 * 2 ** 30,
  maxFileBytes: 8 * 2 ** 30,
};

export const ARCHIVE_ERROR_CODES = {
  /** A member name that is absolute, climbs out with `..`, or uses characters meshtap never writes. */
  SNAPSHOT_UNSAFE_PATH: 'SNAPSHOT_UNSAFE_PATH',
  /** A symbolic link, hard link, device, FIFO or any member that is not a plain file or directory. */
  SNAPSHOT_UNSUPPORTED_MEMBER: 'SNAPSHOT_UNSUPPORTED_MEMBER',
  /** More members or more bytes than the limits allow. */
  SNAPSHOT_TOO_LARGE: 'SNAPSHOT_TOO_LARGE',
  /** Not a gzip-compressed tar archive, or damaged. */
  SNAPSHOT_CORRUPT: 'SNAPSHOT_CORRUPT',
} as const;

const E = ARCHIVE_ERROR_CODES;
const SAFE_NAME = /^[A-Za-z0-9._@+-]+$/;
const MAX_NAME_LENGTH = 512;
const MAX_DEPTH = 16;

/**
 * Writes a gzip-compressed tar archive of the members (files are streamed, not loaded).
 * Atomic: the archive is built under a hidden temporary name beside `outPath` and renamed onto
 * it only when complete, so a failure leaves neither a partial file nor a clobbered old one.
 */
export async function writeArchive(outPath: string, members: readonly ArchiveMember[]): Promise<void> {
  for (const m of members) assertSafeName(m.name);
  const temp = partialPathFor(outPath);
  try {
    await packMembers(temp, members);
    await rename(temp, outPath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Same directory, so the final rename stays on one filesystem; bounded so it fits NAME_MAX. */
function partialPathFor(outPath: string): string {
  const hidden = `.${basename(outPath).slice(0, 200)}.partial-${randomBytes(6).toString('hex')}`;
  return join(dirname(outPath), hidden);
}

async function packMembers(file: string, members: readonly ArchiveMember[]): Promise<void> {
  const staging = await mkdtemp(join(dirname(file), '.meshtap-archive-'));
  try {
    // The staging tree mirrors the archive: small members are written, files are linked and
    // packed through the link (`follow`), so nothing large is copied twice.
    for (const m of members) {
      const target = join(staging, m.name);
      await mkdir(dirname(target), { recursive: true });
      if ('path' in m) await symlink(m.path, target);
      else await writeFile(target, m.data);
    }
    const tops = [...new Set(members.map((m) => m.name.split('/')[0]))].sort();
    await create({ gzip: true, file, cwd: staging, follow: true, portable: true }, tops);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Checks every member header of an archive before anything is written: only plain files and
 * directories with names meshtap would write, within the limits. Returns the file names.
 * A hostile archive is refused whole with a typed error; nothing is extracted.
 */
export async function inspectArchive(file: string, limits = DEFAULT_ARCHIVE_LIMITS): Promise<string[]> {
  const files: string[] = [];
  let entries = 0;
  let total = 0;
  let problem: MeshtapError | null = null;
  const check = (entry: ReadEntry): void => {
    if (problem !== null) return;
    // GNU tar's `tar czf x .` starts with a `./` directory: harmless, and not a member.
    if (entry.type === 'Directory' && stripSlash(entry.path) === '.') return;
    entries++;
    problem = memberProblem(entry, entries, total, limits);
    if (problem === null && entry.type === 'File') {
      total += entry.size;
      files.push(stripSlash(entry.path));
    }
  };
  try {
    await list({ file, onReadEntry: check, strict: true });
  } catch (err) {
    throw (
      problem ??
      new MeshtapError(
        E.SNAPSHOT_CORRUPT,
        `${file}: not a readable .tar.gz archive (${(err as Error).message})`,
      )
    );
  }
  if (problem !== null) throw problem;
  return files;
}

/** Extracts an archive that inspectArchive accepted into `dest` (created if missing). */
export async function extractArchive(
  file: string,
  dest: string,
  limits = DEFAULT_ARCHIVE_LIMITS,
): Promise<string[]> {
  const files = await inspectArchive(file, limits);
  await mkdir(dest, { recursive: true });
  const allowed = new Set(files);
  await extract({
    file,
    cwd: dest,
    strict: true,
    preserveOwner: false,
    // Only what inspection accepted is written: a second read of the file cannot smuggle more in.
    filter: (path, entry) => ('type' in entry && entry.type === 'Directory') || allowed.has(stripSlash(path)),
  });
  return files;
}

function memberProblem(
  entry: ReadEntry,
  count: number,
  total: number,
  limits: ArchiveLimits,
): MeshtapError | null {
  const name = stripSlash(entry.path);
  if (entry.type !== 'File' && entry.type !== 'Directory') {
    return new MeshtapError(
      E.SNAPSHOT_UNSUPPORTED_MEMBER,
      `archive member ${JSON.stringify(name)} is a ${entry.type}; only files and directories are accepted`,
    );
  }
  const unsafe = nameProblem(name);
  if (unsafe !== null)
    return new MeshtapError(E.SNAPSHOT_UNSAFE_PATH, `archive member ${JSON.stringify(name)}: ${unsafe}`);
  if (count > limits.maxEntries) {
    return new MeshtapError(E.SNAPSHOT_TOO_LARGE, `archive has more than ${limits.maxEntries} members`);
  }
  if (entry.size > limits.maxFileBytes) {
    return new MeshtapError(
      E.SNAPSHOT_TOO_LARGE,
      `archive member ${JSON.stringify(name)} is ${entry.size} bytes, over ${limits.maxFileBytes}`,
    );
  }
  if (total + entry.size > limits.maxTotalBytes) {
    return new MeshtapError(
      E.SNAPSHOT_TOO_LARGE,
      `archive unpacks to more than ${limits.maxTotalBytes} bytes`,
    );
  }
  return null;
}

function assertSafeName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== null)
    throw new MeshtapError(E.SNAPSHOT_UNSAFE_PATH, `archive member ${JSON.stringify(name)}: ${problem}`);
}

/** Why a member name is unsafe, or null: relative, no `.`/`..` segments, plain characters, bounded. */
function nameProblem(name: string): string | null {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return 'empty or too long a name';
  if (name.startsWith('/')) return 'absolute path';
  const segments = name.split('/');
  if (segments.length > MAX_DEPTH) return 'too deep';
  for (const s of segments) {
    if (s === '.' || s === '..') return 'path traversal';
    if (!SAFE_NAME.test(s)) return 'characters outside [A-Za-z0-9._@+-]';
  }
  return null;
}

function stripSlash(path: string): string {
  if (path === './' || path === '.') return '.';
  const trimmed = path.startsWith('./') ? path.slice(2) : path;
  return trimmed.endsWith('/') ? trimmed.slice(0, -1) : trimmed;
}
