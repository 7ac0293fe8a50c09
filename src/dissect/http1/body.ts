/** Describing a collected message body for an entry. */
import { isUtf8 } from 'node:buffer';
import type { BodyCollector } from '../util/body-collector.js';
import { decodeContent, isKnownCoding } from './content-coding.js';

/** A type, not an interface, so that an entry takes the summary itself as its `body` object. */
export type BodySummary = {
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
};

const TEXTUAL = ['json', 'xml', 'javascript', 'x-www-form-urlencoded', 'yaml', 'csv', 'html', 'graphql'];

function isTextualType(contentType: string | null): boolean | null {
  if (contentType === null) return null;
  const t = contentType.toLowerCase();
  return t.startsWith('text/') || TEXTUAL.some((k) => t.includes(k));
}

/** Without a Content-Type, show text when the bytes are valid UTF-8 with no NUL (checked without decoding them). */
function looksLikeText(bytes: Buffer): boolean {
  return !bytes.includes(0) && isUtf8(bytes);
}

export function summarizeBody(
  body: BodyCollector,
  contentType: string | null,
  contentEncoding: string | null,
  limit: number,
): BodySummary {
  const summary: BodySummary = { size: body.size, truncated: body.truncated, contentType };
  if (!body.keep) return summary;
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
