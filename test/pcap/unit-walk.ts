/**
 * An independent, minimal walk over a capture's framing (record headers / block lengths
 * only), used as the reference for truncation tests: it knows nothing of the reader.
 * Returns the byte range of every packet unit and the start of every unit.
 */
export interface UnitMap {
  /** End offset of every packet record / packet block, in file order. */
  packetEnds: number[];
  /** Start offsets of every unit after the file header (records or blocks, packets or not). */
  unitStarts: number[];
  /** End of the pcap file header (24), or 0 for pcapng. */
  headerEnd: number;
}

export function walkUnits(buf: Buffer): UnitMap {
  const magic = buf.readUInt32LE(0);
  return magic === 0x0a0d0d0a ? walkPcapng(buf) : walkPcap(buf);
}

function walkPcap(buf: Buffer): UnitMap {
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const packetEnds: number[] = [];
  const unitStarts: number[] = [];
  let pos = 24;
  while (pos + 16 <= buf.length) {
    const caplen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    if (pos + 16 + caplen > buf.length) break;
    unitStarts.push(pos);
    pos += 16 + caplen;
    packetEnds.push(pos);
  }
  return { packetEnds, unitStarts, headerEnd: 24 };
}

/** Packet-carrying block types: obsolete PB (2), SPB (3), EPB (6). */
const PACKET_BLOCKS = new Set([2, 3, 6]);

function walkPcapng(buf: Buffer): UnitMap {
  const packetEnds: number[] = [];
  const unitStarts: number[] = [];
  let le = true;
  let pos = 0;
  while (pos + 12 <= buf.length) {
    if (buf.readUInt32LE(pos) === 0x0a0d0d0a) le = buf.readUInt32LE(pos + 8) === 0x1a2b3c4d;
    const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    const length = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    if (length < 12 || pos + length > buf.length) break;
    unitStarts.push(pos);
    pos += length;
    if (PACKET_BLOCKS.has(type)) packetEnds.push(pos);
  }
  return { packetEnds, unitStarts, headerEnd: 0 };
}
