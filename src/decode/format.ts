/**
 * Address and number formatting shared by trace lines, JSON output and packet summaries.
 * Off the hot path: these allocate strings and are only called when something is printed.
 */

/** Dotted quad of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/**
 * RFC 5952 canonical text of the 16-byte IPv6 address at `offset`: lower-case hex, leading
 * zeros dropped, the longest run (the first on a tie) of two or more zero groups shown as
 * `::`, and IPv4-mapped addresses (::ffff:a.b.c.d) with a dotted-quad tail, as tshark prints.
 */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  if (isIpv4Mapped(groups)) {
    const v4 = ((groups[6] << 16) | groups[7]) >>> 0;
    return `::ffff:${formatIpv4(v4)}`;
  }
  const [runStart, runLength] = longestZeroRun(groups);
  if (runLength < 2) return groups.map(hexGroup).join(':');
  const head = groups.slice(0, runStart).map(hexGroup).join(':');
  const tail = groups
    .slice(runStart + runLength)
    .map(hexGroup)
    .join(':');
  return `${head}::${tail}`;
}

function isIpv4Mapped(groups: number[]): boolean {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return false;
  return groups[5] === 0xffff;
}

function longestZeroRun(groups: number[]): [number, number] {
  let bestStart = -1;
  let bestLength = 0;
  let start = -1;
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start > bestLength) {
      bestStart = start;
      bestLength = i - start;
    }
    start = -1;
  }
  return [bestStart, bestLength];
}

function hexGroup(group: number): string {
  return group.toString(16);
}

/** Colon-separated lower-case MAC address of the 6 bytes at `offset`. */
export function formatMac(bytes: Uint8Array, offset: number): string {
  return formatHexBytes(bytes, offset, offset + 6, ':');
}

/** Hex of bytes [start, end) (clamped to the array), joined by `separator`. */
export function formatHexBytes(bytes: Uint8Array, start: number, end: number, separator = ''): string {
  const parts: string[] = [];
  const stop = Math.min(end, bytes.length);
  for (let i = Math.max(0, start); i < stop; i++) parts.push(bytes[i].toString(16).padStart(2, '0'));
  return parts.join(separator);
}

/** `0x` followed by `value` in lower-case hex, zero-padded to `digits`. */
export function hex(value: number, digits: number): string {
  return `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;
}
