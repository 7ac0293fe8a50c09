import { formatIpv4At, formatIpv6 } from '../decode/format.js';
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
      // Spelled as packet addresses are, so that a name is found by its packets' addresses.
      const address = addrLength === 4 ? formatIpv4At(bytes, start) : formatIpv6(bytes, start);
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
