/**
 * The address and port texts of mirror rules and destinations: CIDR blocks (IPv4, IPv6),
 * port ranges `a/b` or `-1/-1`, and endpoints `HOST[:PORT]` / `[v6]:PORT`. Parsing reuses the
 * resolver's address primitives so the whole project agrees on what an address literal is.
 */
import { formatIp, maskTo, parseIp } from '../resolve/address.js';
import { UsageError } from '../util/errors.js';
import { MIRROR_LIMITS, type MirrorEndpoint, type PortRange } from './types.js';
import { MIRROR_CODES as C } from './validate.js';

export type AddressFamily = 4 | 6;

export interface Cidr {
  family: AddressFamily;
  /** Network bytes, host bits cleared. */
  bytes: Uint8Array;
  prefixLen: number;
  /** Canonical text: `10.0.0.0/8`, `fd00::/8`. */
  text: string;
}

/**
 * Parses `ADDRESS/LEN` (or a bare address, read as /32 or /128). Host bits are cleared, not
 * rejected: `10.1.2.3/8` is stored as `10.0.0.0/8`, the block the user's address lies in.
 */
export function parseCidr(value: unknown, field: string): Cidr {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(
      C.MIRROR_BAD_CIDR,
      `${field} is required: a CIDR block such as 10.0.0.0/8 or fd00::/8`,
    );
  }
  const text = value.trim();
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) {
    throw new UsageError(C.MIRROR_BAD_CIDR, `${field} "${text}" is not an IPv4 or IPv6 CIDR block`);
  }
  const maxLen = bytes.length * 8;
  let prefixLen = maxLen;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lenText) || Number(lenText) > maxLen) {
      throw new UsageError(C.MIRROR_BAD_CIDR, `${field} "${text}": the prefix length must be 0..${maxLen}`);
    }
    prefixLen = Number(lenText);
  }
  maskTo(bytes, prefixLen);
  return { family: bytes.length === 4 ? 4 : 6, bytes, prefixLen, text: `${formatIp(bytes)}/${prefixLen}` };
}

const PORT_RANGE = /^(-1)\/(-1)$|^([0-9]{1,5})\/([0-9]{1,5})$/;

/**
 * A port range as written `1/200`, `80/80`, or `-1/-1` (any port, returned as null); also
 * the stored object form `{from, to}` and null, so what the API returns can be sent back.
 */
export function parsePortRange(value: unknown, field: string): PortRange | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return portRangeObject(value as Record<string, unknown>, field);
  const text = typeof value === 'string' ? value.trim() : '';
  const m = PORT_RANGE.exec(text);
  if (m === null) {
    throw new UsageError(
      C.MIRROR_BAD_PORT_RANGE,
      `${field} must be written FIRST/LAST (e.g. 1/200, 80/80) or -1/-1 for any port, not ${JSON.stringify(value)}`,
    );
  }
  if (m[1] !== undefined) return null;
  return checkedRange(Number(m[3]), Number(m[4]), field);
}

function portRangeObject(v: Record<string, unknown>, field: string): PortRange | null {
  if (v.from === -1 && v.to === -1) return null;
  if (typeof v.from !== 'number' || typeof v.to !== 'number' || Object.keys(v).length !== 2) {
    throw new UsageError(C.MIRROR_BAD_PORT_RANGE, `${field} must be "FIRST/LAST" or {from, to}`);
  }
  return checkedRange(v.from, v.to, field);
}

function checkedRange(from: number, to: number, field: string): PortRange {
  if (!isPort(from) || !isPort(to) || from > to) {
    throw new UsageError(
      C.MIRROR_BAD_PORT_RANGE,
      `${field} ${from}/${to}: ports must be 0..65535 and the first must not exceed the last`,
    );
  }
  return { from, to };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

/** `1/200`, or `-1/-1` for any port. */
export function formatPortRange(range: PortRange | null): string {
  return range === null ? '-1/-1' : `${range.from}/${range.to}`;
}

/**
 * A destination endpoint: `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` with HOST an address
 * literal (no names: the data path sends without resolving), or the object form. The
 * unspecified address is refused: nothing can be sent to it. The port defaults to 4789.
 */
export function parseEndpoint(value: unknown): MirrorEndpoint {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    const port = v.port === undefined ? undefined : String(v.port);
    return { host: endpointHost(v.host, value), port: endpointPort(port, value) };
  }
  const [hostText, portText] = splitHostPort(typeof value === 'string' ? value.trim() : '');
  return { host: endpointHost(hostText, value), port: endpointPort(portText, value) };
}

function endpointHost(host: unknown, whole: unknown): string {
  const bytes = typeof host === 'string' ? parseIp(host) : null;
  if (bytes === null || bytes.every((b) => b === 0)) {
    throw new UsageError(
      C.MIRROR_BAD_DESTINATION,
      `destination ${JSON.stringify(whole)} must be HOST[:PORT] with HOST an IPv4 or IPv6 address ([v6]:port), not 0.0.0.0 or ::`,
    );
  }
  return formatIp(bytes);
}

/** An IPv6 host written inside brackets, so `host:port` stays unambiguous. */
function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Splits `host:port`, `[v6]:port`; the port is undefined when not written. */
function splitHostPort(text: string): [string, string | undefined] {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const rest = close < 0 ? '' : text.slice(close + 1);
    if (close < 0 || (rest !== '' && !rest.startsWith(':'))) return ['', undefined];
    return [text.slice(1, close), rest === '' ? undefined : rest.slice(1)];
  }
  const colons = text.split(':').length - 1;
  if (colons !== 1) return [text, undefined]; // a bare IPv6 address, or no port
  const at = text.indexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}

function endpointPort(portText: string | undefined, whole: unknown): number {
  if (portText === undefined) return MIRROR_LIMITS.defaultVxlanPort;
  const port = Number(portText);
  if (!/^[0-9]{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(
      C.MIRROR_BAD_DESTINATION,
      `destination ${JSON.stringify(whole)}: the port must be 1..65535`,
    );
  }
  return port;
}

/** `10.0.0.9:4789`, `[fd00::9]:4789`. */
export function formatEndpoint(e: MirrorEndpoint): string {
  return `${bracketed(e.host)}:${e.port}`;
}
