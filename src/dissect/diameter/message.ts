/** Diameter message header (RFC 6733 §3) and the summary objects that entries carry. */
import { u32 } from '../util/bytes.js';
import { parseAvps, type Avp, type AvpValue } from './avp.js';
import { APPLICATIONS, COMMANDS } from './dictionary.js';

export const HEADER_LEN = 20;
const FLAG_REQUEST = 0x80;
const FLAG_PROXIABLE = 0x40;
const FLAG_ERROR = 0x20;
const FLAG_RETRANSMIT = 0x10;
/** Bits RFC 6733 reserves; a sender must clear them, so set bits mean we are not at a header. */
const FLAG_RESERVED = 0x0f;

export interface DiameterHeader {
  length: number;
  flags: number;
  commandCode: number;
  applicationId: number;
  hopByHopId: number;
  endToEndId: number;
}

/** Reads the header at `p` if 20 bytes are there and it looks like one, else null. */
export function readHeader(b: Uint8Array, p: number): DiameterHeader | null {
  if (b[p] !== 1) return null;
  const length = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  const flags = b[p + 4];
  if (length < HEADER_LEN || (length & 3) !== 0 || (flags & FLAG_RESERVED) !== 0) return null;
  return {
    length,
    flags,
    commandCode: (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7],
    applicationId: u32(b, p + 8),
    hopByHopId: u32(b, p + 12),
    endToEndId: u32(b, p + 16),
  };
}

export function isRequest(h: DiameterHeader): boolean {
  return (h.flags & FLAG_REQUEST) !== 0;
}

/** The JSON-able object an entry carries as `request` or `response`. */
export function summarize(h: DiameterHeader, avps: Avp[]): Record<string, unknown> {
  const cmd = COMMANDS[h.commandCode];
  const req = isRequest(h);
  const summary: Record<string, unknown> = {
    command: cmd ? `${cmd.name}-${req ? 'Request' : 'Answer'}` : `Command-${h.commandCode}`,
    commandAbbrev: cmd ? (req ? cmd.request : cmd.answer) : null,
    commandCode: h.commandCode,
    applicationId: h.applicationId,
    application: APPLICATIONS[h.applicationId] ?? null,
    flags: {
      request: req,
      proxiable: (h.flags & FLAG_PROXIABLE) !== 0,
      error: (h.flags & FLAG_ERROR) !== 0,
      retransmitted: (h.flags & FLAG_RETRANSMIT) !== 0,
    },
    hopByHopId: h.hopByHopId,
    endToEndId: h.endToEndId,
    avps,
    avpMap: avpMap(avps),
  };
  if (!req) summary.resultCode = resultCode(avps);
  return summary;
}

export function parseBody(b: Uint8Array, p: number, h: DiameterHeader, anomaly: (n: string) => void): Avp[] {
  return parseAvps(b, p + HEADER_LEN, p + h.length, 0, anomaly);
}

/** Result-Code, or Experimental-Result-Code inside Experimental-Result (3GPP answers use it). */
function resultCode(avps: Avp[]): number | null {
  for (const a of avps) if (a.code === 268 && !a.vendorId && typeof a.value === 'number') return a.value;
  for (const a of avps) {
    if (a.code !== 297 || !Array.isArray(a.value)) continue;
    for (const inner of a.value)
      if (inner.code === 298 && typeof inner.value === 'number') return inner.value;
  }
  return null;
}

type MapValue = number | string | MapObject | Array<number | string | MapObject>;
interface MapObject {
  [name: string]: MapValue;
}

/** Name → value (Grouped → nested map); an AVP that repeats becomes an array. */
function avpMap(avps: Avp[]): MapObject {
  const out: MapObject = {};
  for (const a of avps) {
    const v = mapValue(a.value);
    const prev = out[a.name];
    if (prev === undefined) out[a.name] = v;
    else if (Array.isArray(prev)) prev.push(v as number | string | MapObject);
    else out[a.name] = [prev as number | string | MapObject, v as number | string | MapObject];
  }
  return out;
}

function mapValue(v: AvpValue): MapValue {
  return Array.isArray(v) ? avpMap(v) : v;
}
