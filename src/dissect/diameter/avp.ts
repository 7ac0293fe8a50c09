/** AVP decoding (RFC 6733 §4): header, vendor id, padding, typed values, grouped recursion. */
import { formatIpv4At, formatIpv6 } from '../../decode/format.js';
import { hex, u32 } from '../util/bytes.js';
import { lookupAvp, type AvpType } from './dictionary.js';

export interface Avp {
  code: number;
  /** Present when the V flag is set. */
  vendorId?: number;
  /** Dictionary name, or `AVP-<code>` (`AVP-<vendor>-<code>` with a vendor) when unknown. */
  name: string;
  type: AvpType;
  flags: { vendor: boolean; mandatory: boolean; protected: boolean };
  /** AVP length field (header + data, without padding). */
  length: number;
  /** Decoded value: number, string (text, hex for octets, ISO time, IP), AVP list for Grouped. */
  value: AvpValue;
  /** Name of an Enumerated value, when the dictionary knows it. */
  valueName?: string;
}

export type AvpValue = number | string | Avp[];

/** Grouped AVPs nest; real dictionaries go 4-5 deep, garbage could go on forever. */
export const MAX_AVP_DEPTH = 16;
/** Seconds between the NTP epoch (1900) used by the Time type and the Unix epoch. */
const NTP_UNIX_OFFSET = 2208988800;

/** Reads the AVPs in [start,end). Problems are reported and end the list (the rest is unreadable). */
export function parseAvps(
  b: Uint8Array,
  start: number,
  end: number,
  depth: number,
  anomaly: (n: string) => void,
): Avp[] {
  const out: Avp[] = [];
  let p = start;
  while (p < end) {
    if (p + 8 > end) return stop(out, anomaly, 'diameter.truncated_avp');
    const flags = b[p + 4];
    const length = (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7];
    const vendor = (flags & 0x80) !== 0;
    const headerLen = vendor ? 12 : 8;
    if (length < headerLen || p + length > end) return stop(out, anomaly, 'diameter.bad_avp_length');
    const code = u32(b, p);
    const vendorId = vendor ? u32(b, p + 8) : 0;
    out.push(decodeAvp(b, p, p + headerLen, p + length, code, vendorId, flags, depth, anomaly));
    p += (length + 3) & ~3;
  }
  return out;
}

function stop(out: Avp[], anomaly: (n: string) => void, name: string): Avp[] {
  anomaly(name);
  return out;
}

function decodeAvp(
  b: Uint8Array,
  start: number,
  dataStart: number,
  end: number,
  code: number,
  vendorId: number,
  flags: number,
  depth: number,
  anomaly: (n: string) => void,
): Avp {
  const def = lookupAvp(code, vendorId);
  const avp: Avp = {
    code,
    name: def?.name ?? (vendorId ? `AVP-${vendorId}-${code}` : `AVP-${code}`),
    type: def?.type ?? 'OctetString',
    flags: { vendor: (flags & 0x80) !== 0, mandatory: (flags & 0x40) !== 0, protected: (flags & 0x20) !== 0 },
    length: end - start,
    value: '',
  };
  if (avp.flags.vendor) avp.vendorId = vendorId;
  avp.value = decodeValue(avp.type, b, dataStart, end, depth, anomaly);
  const label = typeof avp.value === 'number' ? def?.values?.[avp.value] : undefined;
  if (label) avp.valueName = label;
  return avp;
}

function decodeValue(
  type: AvpType,
  b: Uint8Array,
  s: number,
  e: number,
  depth: number,
  anomaly: (n: string) => void,
): AvpValue {
  const n = e - s;
  switch (type) {
    case 'Grouped':
      if (depth >= MAX_AVP_DEPTH) return stopHex(b, s, e, anomaly, 'diameter.avp_depth');
      return parseAvps(b, s, e, depth + 1, anomaly);
    case 'Unsigned32':
    case 'Enumerated':
      return n === 4 ? (type === 'Enumerated' ? u32(b, s) | 0 : u32(b, s)) : badSize(b, s, e, anomaly);
    case 'Integer32':
      return n === 4 ? u32(b, s) | 0 : badSize(b, s, e, anomaly);
    case 'Unsigned64':
    case 'Integer64':
      return n === 8 ? int64(b, s, type === 'Integer64') : badSize(b, s, e, anomaly);
    case 'Float32':
      return n === 4 ? new DataView(b.buffer, b.byteOffset + s, 4).getFloat32(0) : badSize(b, s, e, anomaly);
    case 'Float64':
      return n === 8 ? new DataView(b.buffer, b.byteOffset + s, 8).getFloat64(0) : badSize(b, s, e, anomaly);
    case 'Time':
      return n === 4
        ? new Date((u32(b, s) - NTP_UNIX_OFFSET) * 1000).toISOString()
        : badSize(b, s, e, anomaly);
    case 'Address':
      return address(b, s, e);
    case 'UTF8String':
    case 'DiamIdent':
    case 'DiamURI':
    case 'IPFilterRule':
      return Buffer.from(b.buffer, b.byteOffset + s, n).toString('utf8');
    default:
      return hex(b, s, e);
  }
}

function badSize(b: Uint8Array, s: number, e: number, anomaly: (n: string) => void): string {
  return stopHex(b, s, e, anomaly, 'diameter.bad_avp_size');
}

function stopHex(b: Uint8Array, s: number, e: number, anomaly: (n: string) => void, name: string): string {
  anomaly(name);
  return hex(b, s, e);
}

/** Safe integers as numbers; larger values as decimal strings so JSON keeps them exact. */
function int64(b: Uint8Array, s: number, signed: boolean): number | string {
  const view = new DataView(b.buffer, b.byteOffset + s, 8);
  const v = signed ? view.getBigInt64(0) : view.getBigUint64(0);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

/** Address: 2-byte IANA family (1 IPv4, 2 IPv6) then the address; other families as hex. */
function address(b: Uint8Array, s: number, e: number): string {
  const family = e - s >= 2 ? (b[s] << 8) | b[s + 1] : -1;
  if (family === 1 && e - s === 6) return formatIpv4At(b, s + 2);
  if (family === 2 && e - s === 18) return formatIpv6(b, s + 2);
  return hex(b, s, e);
}
