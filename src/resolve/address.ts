import { formatIpv6 } from '../decode/format.js';
import { isIPv6Literal, parseIPv6 } from '../filter/addr.js';
import { MeshtapError } from '../util/errors.js';

/** Stable codes of name-resolution failures. */
export const RESOLVE_ERROR_CODES = {
  /** An address, CIDR or address:port the resolver was given is not valid. */
  RESOLVE_BAD_ADDRESS: 'RESOLVE_BAD_ADDRESS',
  /** The inventory file cannot be read or is not the documented shape. */
  RESOLVE_BAD_INVENTORY: 'RESOLVE_BAD_INVENTORY',
  /** A name history file cannot be read or is not the documented shape. */
  RESOLVE_BAD_HISTORY: 'RESOLVE_BAD_HISTORY',
  /** `ip` (iproute2) failed or printed something that is not its JSON. */
  RESOLVE_NETNS_FAILED: 'RESOLVE_NETNS_FAILED',
} as const;

/**
 * An address pattern: a whole address (prefixLen 32/128), a CIDR, either with an optional
 * port. `bytes` are already masked to the prefix, so equal patterns have equal bytes.
 */
export interface AddressPattern {
  bytes: Uint8Array;
  prefixLen: number;
  /** undefined: any port. */
  port: number | undefined;
}

const DEC_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** The 4 or 16 bytes of an IPv4 dotted quad or an IPv6 literal, or null. */
export function parseIp(text: string): Uint8Array | null {
  if (text.includes(':')) return isIPv6Literal(text) ? parseIPv6(text) : null;
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => DEC_OCTET.test(p))) return null;
  return Uint8Array.from(parts.map(Number));
}

/** Canonical text of 4 or 16 address bytes (dotted quad, RFC 5952 IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return formatIpv6(bytes, 0);
}

/** Zeroes every bit after the first `prefixLen`, in place. */
export function maskTo(bytes: Uint8Array, prefixLen: number): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, prefixLen - i * 8));
    bytes[i] &= (0xff00 >> keep) & 0xff;
  }
  return bytes;
}

function badAddress(text: string, why: string): MeshtapError {
  return new MeshtapError(RESOLVE_ERROR_CODES.RESOLVE_BAD_ADDRESS, `bad address "${text}": ${why}`, { text });
}

/** Splits `a.b.c.d:port`, `[v6]:port`, `[v6/len]:port`, `a.b.c.d/len:port` into address and port text. */
function splitPort(text: string): [string, string | undefined] {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw badAddress(text, 'missing ]');
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw badAddress(text, 'expected :port after ]');
    return [text.slice(1, close), rest === '' ? undefined : rest.slice(1)];
  }
  const colons = text.split(':').length - 1;
  if (colons !== 1) return [text, undefined]; // bare IPv6 (several colons) or no port
  const at = text.indexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}

function parsePort(text: string, whole: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw badAddress(whole, 'port must be 0..65535');
  return Number(text);
}

/** Parses `IP`, `IP/len`, `IP:port`, `[IPv6]:port`, `[IPv6/len]:port`, `IPv4/len:port`. Throws RESOLVE_BAD_ADDRESS. */
export function parseAddressPattern(text: string): AddressPattern {
  const [addrText, portText] = splitPort(text.trim());
  const slash = addrText.indexOf('/');
  const ipText = slash < 0 ? addrText : addrText.slice(0, slash);
  const bytes = parseIp(ipText);
  if (bytes === null) throw badAddress(text, 'not an IPv4 or IPv6 address');
  const maxLen = bytes.length * 8;
  let prefixLen = maxLen;
  if (slash >= 0) {
    const lenText = addrText.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lenText) || Number(lenText) > maxLen)
      throw badAddress(text, `prefix length must be 0..${maxLen}`);
    prefixLen = Number(lenText);
  }
  const port = portText === undefined ? undefined : parsePort(portText, text);
  return { bytes: maskTo(bytes, prefixLen), prefixLen, port };
}

/** Canonical text of a pattern: `10.0.0.0/8`, `10.0.0.5`, `10.0.0.5:80`, `[fd00::1]:80`, `[fd00::/64]:80`. */
export function formatAddressPattern(p: AddressPattern): string {
  const full = p.prefixLen === p.bytes.length * 8;
  const addr = formatIp(p.bytes) + (full ? '' : `/${p.prefixLen}`);
  if (p.port === undefined) return addr;
  return p.bytes.length === 16 ? `[${addr}]:${p.port}` : `${addr}:${p.port}`;
}
