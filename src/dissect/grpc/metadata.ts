import type { HeaderField } from '../http2/hpack/decoder.js';
import { decodeRawProtobuf, type RawField } from '../protobuf/raw.js';

/** Service and method from a gRPC `:path` ("/package.Service/Method"). */
export function parseGrpcPath(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf('/');
  if (path[0] !== '/' || slash <= 0) return { service: '', method: path };
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** grpc-timeout ("TimeoutValue TimeoutUnit", at most 8 digits) in milliseconds, or null when malformed. */
export function parseGrpcTimeout(value: string): number | null {
  const digits = value.slice(0, -1);
  const unit = TIMEOUT_UNIT_MS[value.slice(-1)];
  if (unit === undefined || digits.length === 0 || digits.length > 8) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(digits) * unit;
}

export interface BinaryMetadata {
  name: string;
  /** The value as sent (base64). */
  base64: string;
  size: number;
  /** The decoded bytes as UTF-8 when they are printable text, else null. */
  text: string | null;
  hex: string;
  /** grpc-status-details-bin and friends are protobuf messages: decoded raw when they parse. */
  protobuf: RawField[] | null;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function printable(bytes: Uint8Array): string | null {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] < 0x20 && bytes[i] !== 0x09) return null;
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** `-bin` metadata values are base64 (padding optional, RFC 4648); decode them for display. */
export function decodeBinaryMetadata(name: string, value: string, maxShown: number): BinaryMetadata {
  const bytes = Buffer.from(value, 'base64');
  const shown = bytes.subarray(0, maxShown);
  return {
    name,
    base64: value,
    size: bytes.length,
    text: printable(bytes),
    hex: shown.toString('hex'),
    protobuf: bytes.length > 0 ? decodeRawProtobuf(bytes) : null,
  };
}

/** All `-bin` fields of some header lists, decoded. */
export function binaryMetadata(
  lists: ReadonlyArray<readonly HeaderField[] | null>,
  maxShown: number,
): BinaryMetadata[] {
  const out: BinaryMetadata[] = [];
  for (const list of lists) {
    for (const f of list ?? [])
      if (f.name.endsWith('-bin')) out.push(decodeBinaryMetadata(f.name, f.value, maxShown));
  }
  return out;
}
