/** One little-endian pcapng block (type, total length, body, total length again) for hand-built test captures. */
export function pcapngBlock(type: number, body: Buffer): Buffer {
  const length = 12 + body.length;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(length, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(length, 0);
  return Buffer.concat([head, body, tail]);
}
