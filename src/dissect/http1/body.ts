/** Collecting a message body (bounded copy) and describing it for an entry. */
import { decodeContent, isKnownCoding } from './content-coding.js';

export interface BodySummary {
  /** Body bytes as transferred (after removing chunked framing, before content decoding). */
  size: number;
  /** Fewer than `size` bytes were kept (body size limit) or captured (gap). */
  truncated: boolean;
  contentType: string | null;
  /** Content-Encoding that was undone for `text`/`base64`, when there is one. */
  encoding?: string;
  /** Size of the decoded bytes shown (bounded by the body limit). */
  decodedSize?: number;
  /** UTF-8 text of the (decoded) body when it is textual, else base64 of it. */
  text?: string;
  base64?: string;
  /** Set when Content-Encoding could not be undone; the raw bytes are shown instead. */
  decodeError?: boolean;
}

/** Keeps copies of body bytes up to a limit and counts the rest. */
export class BodyCollector {
  private readonly parts: Uint8Array[] = [];
  private kept = 0;
  size = 0;
  /** Bytes the capture lost inside this body. */
  missing = 0;

  constructor(private readonly limit: number) {}

  add(bytes: Uint8Array): void {
    this.size += bytes.length;
    const room = this.limit - this.kept;
    if (room <= 0 || bytes.length === 0) return;
    const part = bytes.subarray(0, Math.min(room, bytes.length)).slice();
    this.parts.push(part);
    this.kept += part.length;
  }

  lost(length: number): void {
    this.size += length;
    this.missing += length;
  }

  get truncated(): boolean {
    return this.kept < this.size;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts, this.kept);
  }
}

const TEXTUAL = ['json', 'xml', 'javascript', 'x-www-form-urlencoded', 'yaml', 'csv', 'html', 'graphql'];

function isTextualType(contentType: string | null): boolean | null {
  if (contentType === null) return null;
  const t = contentType.toLowerCase();
  return t.startsWith('text/') || TEXTUAL.some((k) => t.includes(k));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Without a Content-Type, show text when the bytes are valid UTF-8 with no NUL. */
function looksLikeText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function summarizeBody(
  body: BodyCollector,
  contentType: string | null,
  contentEncoding: string | null,
  limit: number,
): BodySummary {
  const summary: BodySummary = { size: body.size, truncated: body.truncated, contentType };
  let shown = body.bytes();
  const coding = contentEncoding?.trim().toLowerCase() ?? '';
  if (coding !== '' && coding !== 'identity' && isKnownCoding(coding)) {
    const decoded = decodeContent(coding, shown, limit);
    if (decoded) {
      summary.encoding = coding;
      summary.decodedSize = decoded.bytes.length;
      shown = decoded.bytes;
      if (decoded.truncated) summary.truncated = true;
    } else summary.decodeError = true;
  }
  const textual = isTextualType(contentType) ?? looksLikeText(shown);
  if (textual && !summary.decodeError) summary.text = shown.toString('utf8');
  else summary.base64 = shown.toString('base64');
  return summary;
}
