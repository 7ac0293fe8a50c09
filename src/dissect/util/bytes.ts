/** Big-endian reads, joining copied pieces, and address/hex formatting shared by the dissectors. */

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Pieces copied as they arrived, as one buffer: the piece itself when there is one (no copy), else their concatenation. */
export function joinPieces(pieces: readonly Uint8Array[], length: number): Buffer {
  if (pieces.length === 1) return Buffer.from(pieces[0].buffer, pieces[0].byteOffset, length);
  return Buffer.concat(pieces, length);
}

export function hex(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('hex');
}

/** RFC 5952 text: lowercase hex, the longest run (>= 2) of zero groups shortened to `::`. */
export function ipv6(b: Uint8Array, o: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(u16(b, o + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLen))}`;
}
