import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { BodyCollector } from '../util/body-collector.js';

/** The `body` object of an HTTP/2 request or response entry. */
export interface BodyView {
  /** DATA payload bytes (padding excluded) as sent on the wire. */
  size: number;
  mimeType: string;
  /** Decoded body for display (UTF-8 text, or base64 when `encoding` says so), at most the body limit. */
  text?: string;
  encoding?: 'base64';
  /** content-encoding that was undone for `text`, and the size it decoded to. */
  contentEncoding?: string;
  decodedSize?: number;
  truncated?: boolean;
  decodeFailed?: boolean;
}

/** Decompresses for display without letting a zip bomb past `max` output bytes. */
export function decodeContent(raw: Uint8Array, encoding: string, max: number): Uint8Array | null {
  const options = { maxOutputLength: Math.max(1, max), finishFlush: constants.Z_SYNC_FLUSH };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(raw, options);
    if (encoding === 'br') {
      return brotliDecompressSync(raw, {
        maxOutputLength: options.maxOutputLength,
        finishFlush: constants.BROTLI_OPERATION_FLUSH,
      });
    }
    if (encoding === 'deflate') return inflateDeflate(raw, options);
  } catch {
    return null;
  }
  return null;
}

/** "deflate" is zlib-wrapped by the spec, raw DEFLATE by some servers: accept both. */
function inflateDeflate(
  raw: Uint8Array,
  options: { maxOutputLength: number; finishFlush: number },
): Uint8Array {
  return (raw[0] & 0x0f) === 8 ? inflateSync(raw, options) : inflateRawSync(raw, options);
}

const TEXT_TYPES = ['text/', 'json', 'xml', 'javascript', 'x-www-form-urlencoded', 'html', 'yaml', 'csv'];

function looksTextual(mimeType: string, bytes: Uint8Array): boolean {
  if (TEXT_TYPES.some((t) => mimeType.includes(t))) return true;
  if (mimeType !== '') return false;
  const n = Math.min(bytes.length, 512);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b < 0x09 || (b > 0x0d && b < 0x20)) return false;
  }
  return true;
}

export function describeBody(
  body: BodyCollector,
  mimeType: string,
  contentEncoding: string,
  max: number,
): BodyView | undefined {
  if (body.size === 0) return undefined;
  const view: BodyView = { size: body.size, mimeType };
  if (body.truncated) view.truncated = true;
  if (!body.keep) return view;
  let bytes: Uint8Array = body.bytes();
  const encoding = contentEncoding.trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    const decoded = decodeContent(bytes, encoding, max);
    if (decoded === null) view.decodeFailed = true;
    else {
      bytes = decoded;
      view.contentEncoding = encoding;
      view.decodedSize = decoded.length;
    }
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (looksTextual(mimeType, bytes)) view.text = buf.toString('utf8');
  else {
    view.text = buf.toString('base64');
    view.encoding = 'base64';
  }
  return view;
}
