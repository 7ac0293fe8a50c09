/**
 * Address literals of the filter language: IPv6 (the scanner's forms and their value), Ethernet
 * MACs in libpcap's spellings, and libpcap's lenient dotted IPv4/DECnet conversions.
 */

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const SCANNER_NUM = /^(?:0[xX][0-9A-Fa-f]+|[0-9]+)$/;
const DEC_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

function groupsOk(part: string): number {
  if (part === '') return 0;
  const groups = part.split(':');
  return groups.every((g) => HEX_GROUP.test(g)) ? groups.length : -1;
}

function dottedOk(text: string, strict: boolean): boolean {
  const parts = text.split('.');
  const re = strict ? DEC_OCTET : SCANNER_NUM;
  return parts.length === 4 && parts.every((p) => re.test(p));
}

/**
 * True when `text` has one of the IPv6 shapes: eight groups, or a `::` with at most seven,
 * optionally ending in a dotted quad. `scannerForm` accepts the scanner's looser quad digits;
 * otherwise the quad must be what inet_pton accepts.
 */
export function isIPv6Literal(text: string, scannerForm = false): boolean {
  let body = text;
  let quad = 0;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!dottedOk(text.slice(lastColon + 1), !scannerForm)) return false;
    body = text.slice(0, lastColon + 1) + '0';
    quad = 1;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) {
    const n = groupsOk(body);
    return n === 8 - quad;
  }
  const left = groupsOk(halves[0]!);
  const right = groupsOk(halves[1]!);
  if (left < 0 || right < 0) return false;
  return left + right + quad <= 7;
}

/** The 16 bytes of a valid IPv6 literal (callers check isIPv6Literal first). */
export function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const q = last.split('.').map(Number);
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!];
    body = text.slice(0, lastColon + 1);
    if (body.endsWith('::')) body += '';
    else body = body.slice(0, -1);
  }
  const halves = body.split('::');
  const left = halves[0] ? halves[0].split(':').map((g) => parseInt(g, 16)) : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':').map((g) => parseInt(g, 16)) : [];
  const words = [
    ...left,
    ...new Array(8 - left.length - right.length - tail.length).fill(0),
    ...right,
    ...tail,
  ];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function hexVal(c: string): number {
  return parseInt(c, 16);
}

/** libpcap's pcap_ether_aton: hex digits, pairs separated by any of `:.-` (or none). */
export function parseEther(text: string): Uint8Array {
  const out = new Uint8Array(6);
  let i = 0;
  let p = 0;
  while (p < text.length && i < 6) {
    const c = text[p]!;
    if (c === ':' || c === '.' || c === '-') {
      p++;
      continue;
    }
    let d = hexVal(c);
    p++;
    if (p < text.length && /[0-9A-Fa-f]/.test(text[p]!)) {
      d = (d << 4) | hexVal(text[p]!);
      p++;
    }
    out[i++] = d;
  }
  return out;
}

/**
 * libpcap's __pcap_atoin: dotted IPv4 with 1..4 parts, each parsed digit by digit (character
 * arithmetic included). Returns [value right-aligned, number of bits given] or undefined.
 */
export function atoin(text: string): [number, number] | undefined {
  let value = 0;
  let bits = 0;
  let p = 0;
  for (;;) {
    let n = 0;
    while (p < text.length && text[p] !== '.') {
      if (n > 25) return undefined;
      n = n * 10 + text.charCodeAt(p++) - 48;
    }
    if (n > 255) return undefined;
    value = ((value << 8) | (n & 0xff)) >>> 0;
    bits += 8;
    if (p >= text.length) return [value, bits];
    p++;
  }
}

/** libpcap's __pcap_atodn: DECnet "area.node" → 16-bit address, or undefined. */
export function atodn(text: string): number | undefined {
  const m = /^\s*([+-]?\d+)\.([+-]?\d+)/.exec(text);
  if (!m) return undefined;
  const area = Number(m[1]);
  const node = Number(m[2]);
  return ((area << 10) & 0o176000) | (node & 0o1777);
}
