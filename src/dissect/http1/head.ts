/** Start lines and header fields of an HTTP/1.x message head (RFC 9112 §3-5). */

export interface HeaderField {
  name: string;
  value: string;
}

export interface RequestLine {
  method: string;
  target: string;
  version: string;
}

export interface StatusLine {
  version: string;
  status: number;
  reason: string;
}

/** Longest method token we accept when looking for a request line (WebDAV's are the longest). */
const MAX_METHOD = 24;

function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;
}

/**
 * Whether `b[p..]` can start a request line: a method token of capital letters, '-' or '_'
 * and a space. 'need-more' when the bytes so far are a prefix of one.
 */
export function looksLikeRequestStart(b: Uint8Array, p: number): 'yes' | 'no' | 'need-more' {
  for (let i = 0; i <= MAX_METHOD; i++) {
    if (p + i >= b.length) return 'need-more';
    const c = b[p + i];
    if (c === 0x20) return i > 0 ? 'yes' : 'no';
    if (!isMethodChar(c)) return 'no';
  }
  return 'no';
}

const HTTP1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."

/** Whether `b[p..]` starts with "HTTP/1." (a status line), or could once more bytes arrive. */
export function looksLikeStatusStart(b: Uint8Array, p: number): 'yes' | 'no' | 'need-more' {
  for (let i = 0; i < HTTP1.length; i++) {
    if (p + i >= b.length) return 'need-more';
    if (b[p + i] !== HTTP1[i]) return 'no';
  }
  return 'yes';
}

/** Index just past the blank line that ends a head starting at `start`, searching from `from`; -1 if not there yet. */
export function findHeadEnd(b: Uint8Array, start: number, from: number): number {
  let i = Math.max(start, from);
  while (true) {
    const lf = b.indexOf(0x0a, i);
    if (lf < 0) return -1;
    // The line that ends at this LF is empty if it is just "\n" or "\r\n" after the previous LF.
    if (
      lf === start ||
      b[lf - 1] === 0x0a ||
      (b[lf - 1] === 0x0d && (lf - 1 === start || b[lf - 2] === 0x0a))
    ) {
      return lf + 1;
    }
    i = lf + 1;
  }
}

/** The lines of a head without their CR LF terminators (the last, empty, line dropped). */
export function headLines(b: Uint8Array, start: number, end: number): string[] {
  const text = Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  const lines: string[] = [];
  let p = 0;
  while (p < text.length) {
    let lf = text.indexOf('\n', p);
    if (lf < 0) lf = text.length;
    const line = text.charCodeAt(lf - 1) === 13 && lf > p ? text.slice(p, lf - 1) : text.slice(p, lf);
    if (line === '') break;
    lines.push(line);
    p = lf + 1;
  }
  return lines;
}

export function parseRequestLine(line: string): RequestLine | null {
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1 + 1) return null;
  const version = line.slice(sp2 + 1);
  if (!version.startsWith('HTTP/1.') || version.length !== 8) return null;
  return { method: line.slice(0, sp1), target: line.slice(sp1 + 1, sp2), version: version.slice(5) };
}

export function parseStatusLine(line: string): StatusLine | null {
  if (!line.startsWith('HTTP/1.') || line.charCodeAt(8) !== 32) return null;
  const code = line.slice(9, 12);
  const status = Number(code);
  if (code.length !== 3 || !Number.isInteger(status) || status < 100) return null;
  return { version: line.slice(5, 8), status, reason: line.slice(13) };
}

/** Header fields from the lines after the start line; obsolete line folding is joined with a space. */
export function parseHeaderLines(
  lines: string[],
  from: number,
  anomaly: (name: string) => void,
): HeaderField[] {
  const fields: HeaderField[] = [];
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && fields.length > 0) {
      fields[fields.length - 1].value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      anomaly('http1.bad_header_line');
      continue;
    }
    fields.push({ name: line.slice(0, colon).trimEnd(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** Lowercase name → value, or the values in order when the field repeats. */
export function headerMap(fields: HeaderField[]): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  for (const f of fields) {
    const key = f.name.toLowerCase();
    const prev = map[key];
    if (prev === undefined) map[key] = f.value;
    else if (Array.isArray(prev)) prev.push(f.value);
    else map[key] = [prev, f.value];
  }
  return map;
}

/**
 * Whether a field's name is `lowerName` (lowercase ASCII) in any case. The lengths are
 * compared first: most names differ in length, and lowercasing a name with capitals makes a
 * new string (a message's head is asked for several fields). Lowercasing keeps the length of
 * the latin1 text names are read as.
 */
function isNamed(f: HeaderField, lowerName: string): boolean {
  return f.name.length === lowerName.length && f.name.toLowerCase() === lowerName;
}

/** The last value of a field (by lowercase name), or undefined. */
export function lastValue(fields: HeaderField[], lowerName: string): string | undefined {
  for (let i = fields.length - 1; i >= 0; i--) if (isNamed(fields[i], lowerName)) return fields[i].value;
  return undefined;
}

/** Whether a comma-separated field (Connection, Upgrade, Transfer-Encoding) lists `token`, case-insensitively. */
export function listsToken(fields: HeaderField[], lowerName: string, token: string): boolean {
  for (const f of fields) {
    if (!isNamed(f, lowerName)) continue;
    for (const part of f.value.split(',')) if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}
