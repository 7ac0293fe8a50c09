import {
  existsSync,
  appendFileSync,
  mkdirSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { MeshtapError } from '../util/errors.js';
import { formatAddressPattern, parseAddressPattern, parseIp, RESOLVE_ERROR_CODES as E } from './address.js';
import { PrefixTable } from './prefix-table.js';
import type { NameBinding, NameResolver, ResolvedName } from './types.js';

/** One change of what an address pattern resolves to, true from `fromUs` until the next change. */
export interface NameChange {
  fromUs: number;
  /** null: from this time on the address resolves to nothing (its resolver forgot it). */
  name: ResolvedName | null;
  /** The resolver that reported it ('inventory', 'netns', 'kubernetes', ...). */
  source: string;
}

/** The `name_resolution_history.json` document. */
export interface NameHistoryDocument {
  version: 1;
  node: string;
  /** Pattern text → its changes in time order. `from` repeats `fromUs` as ISO-8601 for people. */
  addresses: Record<
    string,
    Array<{ fromUs: number; from: string; name: string | null; namespace: string | null; source: string }>
  >;
}

/** One line of the append-only `name_resolution_history.jsonl` companion. */
interface ChangeLine {
  address: string;
  fromUs: number;
  name: string | null;
  namespace: string | null;
  source: string;
}

export const NAME_HISTORY_FILE = 'name_resolution_history.json';
export const NAME_HISTORY_JOURNAL = 'name_resolution_history.jsonl';

/**
 * The time-indexed map from addresses (IP, CIDR, optional port) to names. Each change is
 * appended to a JSON-lines journal the moment it is recorded (one O_APPEND write, so a crash
 * loses nothing but a torn last line); save() writes the whole document atomically (temp file,
 * fsync, rename) and empties the journal. Loading reads the document, then replays the journal;
 * replaying a change twice is harmless because an unchanged name is never recorded again.
 */
export class NameHistory implements NameResolver {
  private readonly table = new PrefixTable<NameChange[]>();

  constructor(
    readonly node: string,
    private readonly files: { document: string; journal: string } | null = null,
  ) {}

  /** Opens (or starts, making its directory) the history kept in `documentPath` and its journal beside it. */
  static open(documentPath: string, node: string): NameHistory {
    mkdirSync(dirname(documentPath), { recursive: true });
    const journal = documentPath.replace(/\.json$/, '') + '.jsonl';
    const history = new NameHistory(node, { document: documentPath, journal });
    const text = readIfExists(documentPath);
    if (text !== null) history.loadDocument(parseDocument(text, documentPath));
    history.replayJournal(journal);
    return history;
  }

  /** A read-only history from a document's text (a snapshot's copy). */
  static fromJson(text: string): NameHistory {
    const doc = parseDocument(text, 'document');
    const history = new NameHistory(doc.node);
    history.loadDocument(doc);
    return history;
  }

  /** Records that `address` resolves to `name` (null: to nothing) from `tUs` on. Returns false when that was already true. */
  record(address: string, tUs: number, name: ResolvedName | null, source: string): boolean {
    const line = this.apply(address, tUs, name, source);
    if (line !== null && this.files !== null) appendFileSync(this.files.journal, JSON.stringify(line) + '\n');
    return line !== null;
  }

  /** Inserts the change in time order unless it changes nothing; returns its journal line. */
  private apply(address: string, tUs: number, name: ResolvedName | null, source: string): ChangeLine | null {
    const pattern = parseAddressPattern(address);
    let changes = this.table.get(pattern);
    if (changes === undefined) {
      if (name === null) return null;
      changes = [];
      this.table.set(pattern, changes);
    }
    const at = insertionPoint(changes, tUs);
    if (at > 0 && sameName(changes[at - 1].name, name)) return null;
    changes.splice(at, 0, { fromUs: tUs, name, source });
    return { address: formatAddressPattern(pattern), fromUs: tUs, ...flatName(name), source };
  }

  /**
   * Brings the history in line with a resolver's present bindings: new or changed names are
   * recorded, and patterns this source named before but no longer lists become null.
   */
  sync(source: string, bindings: readonly NameBinding[], tUs: number): number {
    let recorded = 0;
    const listed = new Set<string>();
    for (const b of bindings) {
      const key = formatAddressPattern(parseAddressPattern(b.address));
      listed.add(key);
      if (this.record(key, tUs, { name: b.name, namespace: b.namespace }, source)) recorded++;
    }
    for (const [key, changes] of [...this.table.entries()]) {
      const last = changes[changes.length - 1];
      if (
        last.source === source &&
        last.name !== null &&
        !listed.has(key) &&
        this.record(key, tUs, null, source)
      )
        recorded++;
    }
    return recorded;
  }

  /** The name true for ip (and port) at `tUs`: the longest pattern that had a name then. */
  lookup(ip: string, port: number | undefined, tUs: number): ResolvedName | undefined {
    // Nothing recorded (no inventory, no namespaces): every entry of an ingest asks twice.
    if (this.table.size === 0) return undefined;
    const bytes = parseIp(ip);
    if (bytes === null) return undefined;
    return this.table.lookupWith(bytes, port, (changes) => changeAt(changes, tUs)?.name ?? undefined);
  }

  resolve(ip: string, port: number | undefined, atTimeUs: number): ResolvedName | undefined {
    return this.lookup(ip, port, atTimeUs);
  }

  toDocument(): NameHistoryDocument {
    const addresses: NameHistoryDocument['addresses'] = {};
    for (const [key, changes] of this.table.entries()) {
      addresses[key] = changes.map((c) => ({
        fromUs: c.fromUs,
        from: isoOf(c.fromUs),
        ...flatName(c.name),
        source: c.source,
      }));
    }
    return { version: 1, node: this.node, addresses };
  }

  /** Writes the document atomically and empties the journal (whose changes it now holds). */
  save(): void {
    if (this.files === null) return;
    const tmp = `${this.files.document}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.toDocument(), null, 1) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.files.document);
    // No journal yet means nothing was recorded since the last save: nothing to empty.
    if (existsSync(this.files.journal)) truncateSync(this.files.journal, 0);
  }

  private loadDocument(doc: NameHistoryDocument): void {
    for (const [address, changes] of Object.entries(doc.addresses)) {
      const list = changes.map((c) => ({
        fromUs: c.fromUs,
        name: nameOf(c.name, c.namespace),
        source: c.source,
      }));
      list.sort((a, b) => a.fromUs - b.fromUs);
      if (list.length > 0) this.table.set(parseAddressPattern(address), list);
    }
  }

  /** Replays journal lines; a torn last line (a crash mid-append) is cut off so later appends start clean. */
  private replayJournal(path: string): void {
    const text = readIfExists(path);
    if (text === null) return;
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
    for (const line of text.slice(0, end).split('\n')) {
      if (line === '') continue;
      const c = parseLine(line, path);
      this.apply(c.address, c.fromUs, nameOf(c.name, c.namespace), c.source);
    }
  }
}

/** Index after the last change with fromUs <= tUs (binary search: changes are in time order). */
function insertionPoint(changes: readonly NameChange[], tUs: number): number {
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (changes[mid].fromUs <= tUs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function changeAt(changes: readonly NameChange[], tUs: number): NameChange | undefined {
  const at = insertionPoint(changes, tUs);
  return at === 0 ? undefined : changes[at - 1];
}

function sameName(a: ResolvedName | null, b: ResolvedName | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.namespace === b.namespace;
}

function flatName(name: ResolvedName | null): { name: string | null; namespace: string | null } {
  return name === null ? { name: null, namespace: null } : { name: name.name, namespace: name.namespace };
}

function nameOf(name: string | null, namespace: string | null): ResolvedName | null {
  return name === null ? null : { name, namespace: namespace ?? '' };
}

function isoOf(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${String(us - Math.floor(us / 1e6) * 1e6).padStart(6, '0')}Z`;
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw badHistory(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function badHistory(why: string): MeshtapError {
  return new MeshtapError(E.RESOLVE_BAD_HISTORY, `name history: ${why}`);
}

function parseDocument(text: string, where: string): NameHistoryDocument {
  let doc: Partial<NameHistoryDocument>;
  try {
    doc = JSON.parse(text) as Partial<NameHistoryDocument>;
  } catch (err) {
    throw badHistory(`${where} is not JSON: ${(err as Error).message}`);
  }
  if (doc.version !== 1 || typeof doc.addresses !== 'object' || doc.addresses === null)
    throw badHistory(`${where}: expected { version: 1, node, addresses }`);
  for (const changes of Object.values(doc.addresses)) {
    if (!Array.isArray(changes) || !changes.every(isStoredChange))
      throw badHistory(`${where}: a change needs fromUs, name, namespace and source`);
  }
  return { version: 1, node: String(doc.node ?? ''), addresses: doc.addresses };
}

function isStoredChange(c: unknown): boolean {
  const v = c as Record<string, unknown>;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isSafeInteger(v.fromUs) &&
    (v.name === null || typeof v.name === 'string') &&
    (v.namespace === null || typeof v.namespace === 'string') &&
    typeof v.source === 'string'
  );
}

function parseLine(line: string, path: string): ChangeLine {
  try {
    const c = JSON.parse(line) as ChangeLine;
    if (typeof c.address === 'string' && isStoredChange(c)) return c;
  } catch {
    // reported below
  }
  throw badHistory(`${path}: bad journal line ${line.slice(0, 80)}`);
}
