/** Domain-name decoding (RFC 1035 §4.1.4) with compression-pointer loop protection. */

/** Longest presentation name we build; RFC 1035 caps wire names at 255 octets. */
const MAX_NAME_OCTETS = 255;
/** A legitimate name never needs more pointer hops than it has labels (at most 127). */
export const MAX_POINTER_HOPS = 127;

export interface NameResult {
  name: string;
  /** Offset just after the name where it was read (not where a pointer led). */
  next: number;
  /** Stable anomaly name when the name is broken, else null. */
  problem: string | null;
  /** Compression pointers followed to read it. */
  hops: number;
}

/** tshark shows the empty (root) name this way; we follow so that names compare directly. */
export const ROOT_NAME = '<Root>';

/**
 * Where the name being read lies in the message: its labels are the runs [start, end) of
 * `message` between the pointers followed (at most MAX_POINTER_HOPS + 1 runs). Shared: a
 * name is read whole before the next one starts. Reading a name only skips from label to
 * label; its octets are compared with the cache, or copied to be spelled, only after.
 */
const runStarts = new Int32Array(MAX_POINTER_HOPS + 1);
const runEnds = new Int32Array(MAX_POINTER_HOPS + 1);
/** The labels of a name, pointers followed, as length octet then label octets (the name without its compression). */
const wire = new Uint8Array(MAX_NAME_OCTETS);
/** The presentation text of a name being spelled: at most 4 characters an octet (`\DDD`). */
const text = Buffer.allocUnsafe(MAX_NAME_OCTETS * 4);

/**
 * Names seen lately, by a hash of their labels: a direct-mapped cache, so bounded (a slot
 * holds the last name that hashed to it) and without eviction bookkeeping. DNS traffic asks
 * for the same few names over and over, and spelling a name costs a pass that escapes every
 * octet and a string; comparing its labels with the ones cached costs a compare. The hash
 * takes each label's length and its first, middle and last octets rather than every octet
 * (the compare is exact whatever the hash): hashing and copying every octet was most of the
 * cost of reading a name.
 */
const CACHE_SLOTS = 4096;
const cachedWires: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(CACHE_SLOTS).fill(
  undefined,
);
const cachedNames: string[] = new Array<string>(CACHE_SLOTS).fill('');

/**
 * Reads the name at `offset` of `msg` (the whole DNS message, so pointers resolve).
 * A pointer must point strictly before the pointer itself: every legal encoder points back
 * at an earlier occurrence, and refusing forward/self pointers makes loops impossible.
 */
export function readName(msg: Uint8Array, offset: number): NameResult {
  return walkName(msg, offset, true);
}

/** Like readName, for detection, which asks only whether the name reads cleanly and where it ends: its text is left empty. */
export function checkName(msg: Uint8Array, offset: number): NameResult {
  return walkName(msg, offset, false);
}

function walkName(msg: Uint8Array, offset: number, spell: boolean): NameResult {
  let pos = offset;
  let next = -1;
  let hops = 0;
  let octets = 0;
  let hash = 0;
  // The labels run from runStart until the end or the next pointer.
  let runStart = pos;
  while (true) {
    if (pos >= msg.length) return broken(msg, runStart, pos, next, hops, 'dns.truncated_name', spell);
    const len = msg[pos];
    if (len === 0) {
      runStarts[hops] = runStart;
      runEnds[hops] = pos;
      const name = !spell ? '' : octets === 0 ? ROOT_NAME : cachedName(msg, hops, octets, hash);
      return { name, next: next < 0 ? pos + 1 : next, problem: null, hops };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return broken(msg, runStart, pos, next, hops, 'dns.truncated_name', spell);
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      if (next < 0) next = pos + 2;
      if (target >= pos) return broken(msg, runStart, pos, next, hops, 'dns.compression_loop', spell);
      if (hops === MAX_POINTER_HOPS) {
        return broken(msg, runStart, pos, next, hops + 1, 'dns.compression_loop', spell);
      }
      runStarts[hops] = runStart;
      runEnds[hops] = pos;
      hops++;
      pos = target;
      runStart = pos;
      continue;
    }
    if ((len & 0xc0) !== 0) return broken(msg, runStart, pos, next, hops, 'dns.bad_label_type', spell);
    if (pos + 1 + len > msg.length)
      return broken(msg, runStart, pos, next, hops, 'dns.truncated_name', spell);
    if (octets + len + 1 > MAX_NAME_OCTETS)
      return broken(msg, runStart, pos, next, hops, 'dns.name_too_long', spell);
    // FNV-1a's step over the label's length and first, middle and last octets. The prime is
    // written here, not as a module constant, which the compiled loop loaded and checked on every use.
    hash = Math.imul(hash ^ (len | (msg[pos + 1] << 8) | (msg[pos + 1 + (len >> 1)] << 16)), 0x01000193);
    hash = Math.imul(hash ^ msg[pos + len], 0x01000193);
    octets += len + 1;
    pos += 1 + len;
  }
}

/**
 * When no pointer was met, the name's end is unknown (`next` -1) and parsing of the section
 * stops. The labels read so far, up to `pos` in the run started at `runStart`, are the name.
 */
function broken(
  msg: Uint8Array,
  runStart: number,
  pos: number,
  next: number,
  hops: number,
  problem: string,
  spell: boolean,
): NameResult {
  let name = '';
  if (spell) {
    // The run being read is the last: one after each pointer followed (hops counts one more
    // when the pointer over the limit is what broke the name).
    const last = Math.min(hops, MAX_POINTER_HOPS);
    runStarts[last] = runStart;
    runEnds[last] = pos;
    name = spellLabels(gather(msg, last));
  }
  return { name, next, problem, hops };
}

/** The name whose labels are the runs 0..`last` of `msg`, `octets` of them, from the cache when it holds them. */
function cachedName(msg: Uint8Array, last: number, octets: number, hash: number): string {
  const slot = hash & (CACHE_SLOTS - 1);
  const known = cachedWires[slot];
  if (known !== undefined && known.length === octets && sameLabels(known, msg, last))
    return cachedNames[slot];
  gather(msg, last);
  const name = spellLabels(octets);
  cachedWires[slot] = wire.slice(0, octets);
  cachedNames[slot] = name;
  return name;
}

function sameLabels(known: Uint8Array, msg: Uint8Array, last: number): boolean {
  let k = 0;
  for (let r = 0; r <= last; r++) {
    const end = runEnds[r];
    for (let i = runStarts[r]; i < end; i++) if (known[k++] !== msg[i]) return false;
  }
  return true;
}

/** Copies the runs 0..`last` of `msg` into `wire`; returns the octets copied. */
function gather(msg: Uint8Array, last: number): number {
  let octets = 0;
  for (let r = 0; r <= last; r++) {
    wire.set(msg.subarray(runStarts[r], runEnds[r]), octets);
    octets += runEnds[r] - runStarts[r];
  }
  return octets;
}

/** Labels joined by dots; printable ASCII as is, dots inside a label, backslashes and other bytes escaped as in zone files. */
function spellLabels(octets: number): string {
  let n = 0;
  let pos = 0;
  while (pos < octets) {
    if (pos > 0) text[n++] = 0x2e;
    const end = pos + 1 + wire[pos];
    for (let i = pos + 1; i < end; i++) {
      const b = wire[i];
      if (b === 0x2e || b === 0x5c) {
        text[n++] = 0x5c;
        text[n++] = b;
      } else if (b > 0x20 && b < 0x7f) text[n++] = b;
      else {
        text[n++] = 0x5c;
        text[n++] = 0x30 + Math.floor(b / 100);
        text[n++] = 0x30 + (Math.floor(b / 10) % 10);
        text[n++] = 0x30 + (b % 10);
      }
    }
    pos = end;
  }
  return text.toString('latin1', 0, n);
}
