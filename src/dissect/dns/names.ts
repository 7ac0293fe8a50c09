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
 * The labels of the name being read, pointers followed, as length octet then label octets:
 * the name without its compression, which is what the cache below compares. Shared: a name
 * is read whole before the next one starts.
 */
const wire = new Uint8Array(MAX_NAME_OCTETS);
/** The presentation text of a name being spelled: at most 4 characters an octet (`\DDD`). */
const text = Buffer.allocUnsafe(MAX_NAME_OCTETS * 4);

/**
 * Names seen lately, by a hash of their labels (FNV-1a's step from zero): a direct-mapped cache, so bounded (a slot
 * holds the last name that hashed to it) and without eviction bookkeeping. DNS traffic asks
 * for the same few names over and over, and spelling a name costs a pass that escapes every
 * octet and a string; comparing its labels with the ones cached costs a compare.
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
  // Module constants are loaded (and checked) again on every use in a loop: once, here.
  const labels = wire;
  while (true) {
    if (pos >= msg.length) return broken(next, hops, 'dns.truncated_name', spell ? octets : 0);
    const len = msg[pos];
    if (len === 0) {
      const name = !spell ? '' : octets === 0 ? ROOT_NAME : cachedName(octets, hash);
      return { name, next: next < 0 ? pos + 1 : next, problem: null, hops };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return broken(next, hops, 'dns.truncated_name', spell ? octets : 0);
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      if (next < 0) next = pos + 2;
      if (target >= pos || ++hops > MAX_POINTER_HOPS) {
        return broken(next, hops, 'dns.compression_loop', spell ? octets : 0);
      }
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return broken(next, hops, 'dns.bad_label_type', spell ? octets : 0);
    if (pos + 1 + len > msg.length) return broken(next, hops, 'dns.truncated_name', spell ? octets : 0);
    if (octets + len + 1 > MAX_NAME_OCTETS)
      return broken(next, hops, 'dns.name_too_long', spell ? octets : 0);
    if (spell) {
      for (let i = pos; i <= pos + len; i++) {
        const b = msg[i];
        labels[octets++] = b;
        // FNV-1a's step. The prime is written here, not as a module constant, which the
        // compiled loop loaded, checked and converted on every octet.
        hash = Math.imul(hash ^ b, 0x01000193);
      }
    } else octets += len + 1;
    pos += 1 + len;
  }
}

/** When no pointer was met, the name's end is unknown (`next` -1) and parsing of the section stops. The labels read so far are the name. */
function broken(next: number, hops: number, problem: string, octets: number): NameResult {
  return { name: spellLabels(octets), next, problem, hops };
}

/** The name whose labels are `wire[0, octets)`, from the cache when it holds them. */
function cachedName(octets: number, hash: number): string {
  const slot = hash & (CACHE_SLOTS - 1);
  const known = cachedWires[slot];
  if (known !== undefined && known.length === octets && sameLabels(known, octets)) return cachedNames[slot];
  const name = spellLabels(octets);
  cachedWires[slot] = wire.slice(0, octets);
  cachedNames[slot] = name;
  return name;
}

function sameLabels(known: Uint8Array, octets: number): boolean {
  const labels = wire;
  for (let i = 0; i < octets; i++) if (known[i] !== labels[i]) return false;
  return true;
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
