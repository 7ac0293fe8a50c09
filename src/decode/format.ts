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
 * IPv6 texts made lately, by address, as for dotted quads: a slot keeps the address as four
 * 32-bit words and its text. The endpoints of every entry of an IPv6 flow are spelled again
 * and again; a hit costs sixteen loads and four compares, a spelling a few thousand
 * instructions.
 */
const V6_SLOT_BITS = 10;
const v6Words = new Int32Array(4 << V6_SLOT_BITS);
const v6Texts: string[] = new Array<string>(1 << V6_SLOT_BITS).fill('');

/**
 * RFC 5952 canonical text of the 16-byte IPv6 address at `offset`: lower-case hex, leading
 * zeros dropped, the longest run (the first on a tie) of two or more zero groups shown as
 * `::`, and IPv4-mapped addresses (::ffff:a.b.c.d) with a dotted-quad tail, as tshark prints.
 */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const w0 = wordAt(bytes, offset);
  const w1 = wordAt(bytes, offset + 4);
  const w2 = wordAt(bytes, offset + 8);
  const w3 = wordAt(bytes, offset + 12);
  const mixed = Math.imul(Math.imul(Math.imul(w0, 0x9e3779b1) ^ w1, 0x9e3779b1) ^ w2, 0x9e3779b1) ^ w3;
  const slot = Math.imul(mixed, 0x9e3779b1) >>> (32 - V6_SLOT_BITS);
  const at = slot << 2;
  const known = v6Texts[slot];
  if (
    known !== '' &&
    v6Words[at] === w0 &&
    v6Words[at + 1] === w1 &&
    v6Words[at + 2] === w2 &&
    v6Words[at + 3] === w3
  )
    return known;
  const text = spellIpv6(bytes, offset);
  v6Words[at] = w0;
  v6Words[at + 1] = w1;
  v6Words[at + 2] = w2;
  v6Words[at + 3] = w3;
  v6Texts[slot] = text;
  return text;
}

function wordAt(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}

/** The groups of the address being spelled (shared: one is spelled at a time). */
const groups = new Uint16Array(8);
/** Hex of a byte without and with its leading zero: a group is spelled from its two bytes. */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16));
const BYTE_HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function spellIpv6(bytes: Uint8Array, offset: number): string {
  for (let i = 0; i < 8; i++) groups[i] = (bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1];
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  )
    return `::ffff:${formatIpv4(((groups[6] << 16) | groups[7]) >>> 0)}`;
  // The longest run of two or more zero groups; the first of equal runs.
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (runStart < 0) return groupsText(0, 8);
  return `${groupsText(0, runStart)}::${groupsText(runStart + runLength, 8)}`;
}

/** Groups [from, to) in hex, joined by colons. */
function groupsText(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const group = groups[i];
    const hex = group > 0xff ? BYTE_HEX[group >>> 8] + BYTE_HEX2[group & 0xff] : BYTE_HEX[group];
    text += i === from ? hex : `:${hex}`;
  }
  return text;
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
