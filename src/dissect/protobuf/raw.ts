/**
 * Schema-less protobuf decoding (what `protoc --decode_raw` does): field numbers, wire types and
 * values. A length-delimited field is shown as a nested message when its bytes parse as one,
 * else as text when they are valid UTF-8, else as bytes. Depth, field count and output size
 * are bounded.
 */
export type RawValue =
  | { wireType: 'varint'; value: string }
  | { wireType: 'fixed64'; value: string }
  | { wireType: 'fixed32'; value: number }
  | { wireType: 'message'; value: RawField[] }
  | { wireType: 'string'; value: string }
  | { wireType: 'bytes'; value: string; truncated?: boolean };

export type RawField = { field: number } & RawValue;

export interface RawDecodeLimits {
  maxDepth: number;
  /** Across the whole message, nested ones included. */
  maxFields: number;
  /** Longest bytes value shown (hex); longer ones are cut and marked. */
  maxBytesShown: number;
}

export const DEFAULT_RAW_LIMITS: RawDecodeLimits = { maxDepth: 16, maxFields: 2000, maxBytesShown: 256 };

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

interface Budget {
  fields: number;
}

/** Decodes `bytes` as a protobuf message; null when they are not one (or exceed the limits). */
export function decodeRawProtobuf(
  bytes: Uint8Array,
  limits: RawDecodeLimits = DEFAULT_RAW_LIMITS,
): RawField[] | null {
  return decodeMessage(bytes, 0, bytes.length, 0, limits, { fields: limits.maxFields });
}

/** Reads a varint at view[pos]; returns [value as bigint-free pair], or -1 end when invalid. */
function readVarint(
  bytes: Uint8Array,
  pos: number,
  end: number,
  out: { lo: number; hi: number; next: number },
): boolean {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return false;
    const b = bytes[pos++];
    if (i < 4) lo += (b & 0x7f) * 2 ** (7 * i);
    else if (i === 4) {
      lo += (b & 0x0f) * 2 ** 28;
      hi += (b & 0x70) >> 4;
    } else hi += (b & 0x7f) * 2 ** (7 * (i - 5) + 3);
    if ((b & 0x80) === 0) {
      out.lo = lo;
      out.hi = hi;
      out.next = pos;
      return true;
    }
  }
  return false;
}

function uint64String(lo: number, hi: number): string {
  return hi === 0 ? String(lo) : (BigInt(hi >>> 0) * 0x100000000n + BigInt(lo >>> 0)).toString();
}

function decodeMessage(
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  limits: RawDecodeLimits,
  budget: Budget,
): RawField[] | null {
  const fields: RawField[] = [];
  const v = { lo: 0, hi: 0, next: 0 };
  let pos = start;
  while (pos < end) {
    if (--budget.fields < 0) return null;
    if (!readVarint(bytes, pos, end, v) || v.hi > 0x1fffffff) return null;
    const field = v.hi * 2 ** 29 + (v.lo >>> 3);
    const wire = v.lo & 7;
    if (field === 0 || field > 0x1fffffff) return null;
    pos = v.next;
    const value = decodeValue(bytes, pos, end, wire, depth, limits, budget, v);
    if (value === null) return null;
    fields.push({ field, ...value });
    pos = v.next;
  }
  return fields;
}

function decodeValue(
  bytes: Uint8Array,
  pos: number,
  end: number,
  wire: number,
  depth: number,
  limits: RawDecodeLimits,
  budget: Budget,
  v: { lo: number; hi: number; next: number },
): RawValue | null {
  if (wire === 0) {
    if (!readVarint(bytes, pos, end, v)) return null;
    return { wireType: 'varint', value: uint64String(v.lo, v.hi) };
  }
  if (wire === 1 || wire === 5) {
    const size = wire === 1 ? 8 : 4;
    if (end - pos < size) return null;
    v.next = pos + size;
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, size);
    if (wire === 5) return { wireType: 'fixed32', value: view.getUint32(0, true) };
    return { wireType: 'fixed64', value: view.getBigUint64(0, true).toString() };
  }
  if (wire !== 2 || !readVarint(bytes, pos, end, v) || v.hi !== 0 || v.lo > end - v.next) return null;
  const from = v.next;
  const to = from + v.lo;
  v.next = to;
  return lengthDelimited(bytes, from, to, depth, limits, budget);
}

function lengthDelimited(
  bytes: Uint8Array,
  from: number,
  to: number,
  depth: number,
  limits: RawDecodeLimits,
  budget: Budget,
): RawValue {
  if (depth + 1 < limits.maxDepth && to > from) {
    const saved = budget.fields;
    const nested = decodeMessage(bytes, from, to, depth + 1, limits, budget);
    if (nested !== null) return { wireType: 'message', value: nested };
    budget.fields = saved;
  }
  const slice = bytes.subarray(from, to);
  try {
    return { wireType: 'string', value: UTF8_STRICT.decode(slice) };
  } catch {
    const shown = slice.subarray(0, limits.maxBytesShown);
    const value = Buffer.from(shown.buffer, shown.byteOffset, shown.length).toString('hex');
    return shown.length < slice.length
      ? { wireType: 'bytes', value, truncated: true }
      : { wireType: 'bytes', value };
  }
}
