import type { NameRecord } from './parser.js';

const NRB_END = 0;
const NRB_IPV4 = 1;
const NRB_IPV6 = 2;
const utf8 = new TextDecoder('utf-8');

/**
 * Reads the records of a Name Resolution Block body [pos, end) into `names`.
 * Returns false when a record runs past the block.
 */
export function readNameRecords(
  view: DataView,
  bytes: Uint8Array,
  pos: number,
  end: number,
  le: boolean,
  names: NameRecord[],
): boolean {
  while (end - pos >= 4) {
    const type = view.getUint16(pos, le);
    const length = view.getUint16(pos + 2, le);
    const start = pos + 4;
    if (type === NRB_END) return true;
    if (start + length > end) return false;
    const addrLength = type === NRB_IPV4 ? 4 : type === NRB_IPV6 ? 16 : 0;
    if (addrLength !== 0 && length >= addrLength) {
      const address = addrLength === 4 ? ipv4Text(bytes, start) : ipv6Text(view, start);
      names.push({ address, names: splitNames(bytes.subarray(start + addrLength, start + length)) });
    }
    pos = start + ((length + 3) & ~3);
  }
  return true;
}

function splitNames(bytes: Uint8Array): string[] {
  return utf8
    .decode(bytes)
    .split('\0')
    .filter((n) => n.length > 0);
}

function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function ipv6Text(view: DataView, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(at + i * 2, false));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
