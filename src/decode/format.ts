/**
 * Address and number formatting shared by trace lines, JSON output, packet summaries and
 * entries. These allocate strings: they are called when something is shown, and for entries
 * (endpoints, DNS answers), which show addresses for every exchange.
 */

/**
 * Dotted quads made lately, by address: a direct-mapped cache, so bounded (a slot keeps the
 * last address that hashed to it). Entries name the same few addresses again and again (the
 * endpoints of every new flow, the answers of every DNS response), and a dotted quad costs
 * four number conversions and three joins where a hit costs a multiply and a compare.
 */
const QUAD_SLOT_BITS = 10;
const quadAddrs = new Int32Array(1 << QUAD_SLOT_BITS);
const quadTexts: string[] = new Array<string>(1 << QUAD_SLOT_BITS).fill('');

/** Dotted quad of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(addr: number): string {
  const key = addr | 0;
  // Fibonacci hashing: the multiply spreads addresses that differ in any byte over the slots.
  const slot = Math.imul(key, 0x9e3779b1) >>> (32 - QUAD_SLOT_BITS);
  const known = quadTexts[slot];
  if (known !== '' && quadAddrs[slot] === key) return known;
  const text = `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
  quadAddrs[slot] = key;
  quadTexts[slot] = text;
  return text;
}

/** Dotted quad of the 4-byte IPv4 address at `offset`. */
export function formatIpv4At(bytes: Uint8Array, offset: number): string {
  return formatIpv4(
    ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0,
  );
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
