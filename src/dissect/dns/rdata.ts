/** Record data decoding for the common types (RFC 1035, 3596, 2782, 6891); others as hex. */
import { formatIpv4At, formatIpv6 } from '../../decode/format.js';
import { hex, u16, u32 } from '../util/bytes.js';
import { readName } from './names.js';

export const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};

export type RData = string | string[] | Record<string, unknown>;

export interface RDataResult {
  data: RData;
  problem: string | null;
}

/** `msg` is the whole message (names inside rdata may be compressed); rdata spans [start,end). */
export function decodeRData(type: number, msg: Uint8Array, start: number, end: number): RDataResult {
  switch (type) {
    case 1:
      return end - start === 4 ? ok(formatIpv4At(msg, start)) : hexOf(msg, start, end, 'dns.bad_rdata');
    case 28:
      return end - start === 16 ? ok(formatIpv6(msg, start)) : hexOf(msg, start, end, 'dns.bad_rdata');
    case 2:
    case 5:
    case 12:
      return nameData(msg, start, end);
    case 15:
      return mx(msg, start, end);
    case 16:
      return txt(msg, start, end);
    case 33:
      return srv(msg, start, end);
    case 6:
      return soa(msg, start, end);
    default:
      return hexOf(msg, start, end, null);
  }
}

function ok(data: RData): RDataResult {
  return { data, problem: null };
}

function hexOf(msg: Uint8Array, start: number, end: number, problem: string | null): RDataResult {
  return { data: { hex: hex(msg, start, end) }, problem };
}

function nameData(msg: Uint8Array, start: number, end: number): RDataResult {
  const r = readName(msg, start);
  return { data: r.name, problem: r.problem ?? (r.next > end ? 'dns.bad_rdata' : null) };
}

function mx(msg: Uint8Array, start: number, end: number): RDataResult {
  if (end - start < 3) return hexOf(msg, start, end, 'dns.bad_rdata');
  const r = readName(msg, start + 2);
  return { data: { preference: u16(msg, start), exchange: r.name }, problem: r.problem };
}

function srv(msg: Uint8Array, start: number, end: number): RDataResult {
  if (end - start < 7) return hexOf(msg, start, end, 'dns.bad_rdata');
  const r = readName(msg, start + 6);
  const data = {
    priority: u16(msg, start),
    weight: u16(msg, start + 2),
    port: u16(msg, start + 4),
    target: r.name,
  };
  return { data, problem: r.problem };
}

function soa(msg: Uint8Array, start: number, end: number): RDataResult {
  const mname = readName(msg, start);
  const rname = mname.next < 0 ? mname : readName(msg, mname.next);
  const p = rname.next;
  if (mname.problem || rname.problem || p < 0 || p + 20 > end) {
    return hexOf(msg, start, end, mname.problem ?? rname.problem ?? 'dns.bad_rdata');
  }
  const data = {
    mname: mname.name,
    rname: rname.name,
    serial: u32(msg, p),
    refresh: u32(msg, p + 4),
    retry: u32(msg, p + 8),
    expire: u32(msg, p + 12),
    minimum: u32(msg, p + 16),
  };
  return ok(data);
}

/** TXT: a sequence of length-prefixed character strings, shown as UTF-8 text each. */
function txt(msg: Uint8Array, start: number, end: number): RDataResult {
  const strings: string[] = [];
  let p = start;
  while (p < end) {
    const len = msg[p];
    if (p + 1 + len > end) return { data: strings, problem: 'dns.bad_rdata' };
    strings.push(Buffer.from(msg.buffer, msg.byteOffset + p + 1, len).toString('utf8'));
    p += 1 + len;
  }
  return ok(strings);
}

/** EDNS OPT pseudo-record (RFC 6891): class is the UDP payload size, TTL carries flags. */
export function decodeOpt(
  cls: number,
  ttl: number,
  msg: Uint8Array,
  start: number,
  end: number,
): RDataResult {
  const options: Array<{ code: number; hex: string }> = [];
  let p = start;
  let problem: string | null = null;
  while (p + 4 <= end) {
    const len = u16(msg, p + 2);
    if (p + 4 + len > end) {
      problem = 'dns.bad_edns_option';
      break;
    }
    options.push({ code: u16(msg, p), hex: hex(msg, p + 4, p + 4 + len) });
    p += 4 + len;
  }
  const data = {
    udpPayloadSize: cls,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & 0x8000) !== 0,
    options,
  };
  return { data, problem };
}
