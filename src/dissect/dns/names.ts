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
 * The characters of the name being read, as codes: the name becomes a string once, at its
 * end. Adding to a string a character or a label at a time made a new string (or a rope that
 * the output then flattens) per character, which was most of the cost of reading a message.
 * Shared: a name is read whole before the next one starts.
 */
const codes: number[] = [];

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
  codes.length = 0;
  while (true) {
    if (pos >= msg.length) return broken(next, hops, 'dns.truncated_name');
    const len = msg[pos];
    if (len === 0) {
      const name = !spell ? '' : codes.length === 0 ? ROOT_NAME : String.fromCharCode(...codes);
      return { name, next: next < 0 ? pos + 1 : next, problem: null, hops };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return broken(next, hops, 'dns.truncated_name');
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      if (next < 0) next = pos + 2;
      if (target >= pos || ++hops > MAX_POINTER_HOPS) return broken(next, hops, 'dns.compression_loop');
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return broken(next, hops, 'dns.bad_label_type');
    if (pos + 1 + len > msg.length) return broken(next, hops, 'dns.truncated_name');
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return broken(next, hops, 'dns.name_too_long');
    if (spell) {
      if (codes.length > 0) codes.push(0x2e);
      labelCodes(msg, pos + 1, pos + 1 + len);
    }
    pos += 1 + len;
  }
}

/** When no pointer was met, the name's end is unknown (`next` -1) and parsing of the section stops. The labels read so far are the name. */
function broken(next: number, hops: number, problem: string): NameResult {
  return { name: String.fromCharCode(...codes), next, problem, hops };
}

/** Printable ASCII as is; dots inside a label, backslashes and other bytes escaped as in zone files. */
function labelCodes(msg: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = msg[i];
    if (b === 0x2e || b === 0x5c) codes.push(0x5c, b);
    else if (b > 0x20 && b < 0x7f) codes.push(b);
    else codes.push(0x5c, 0x30 + Math.floor(b / 100), 0x30 + (Math.floor(b / 10) % 10), 0x30 + (b % 10));
  }
}
