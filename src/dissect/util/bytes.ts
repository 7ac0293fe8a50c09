/** Big-endian reads, joining copied pieces, and hex formatting shared by the dissectors. */

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
