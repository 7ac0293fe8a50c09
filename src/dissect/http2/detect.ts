import type { Detection, Direction } from '../types.js';
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LENGTH, FrameType } from './constants.js';

/** Does a frame header at `at` look like HTTP/2 a peer in direction `dir` would send first? */
function plausibleFrame(bytes: Uint8Array, at: number, dir: Direction): boolean {
  const length = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
  const type = bytes[at + 3];
  const flags = bytes[at + 4];
  if (bytes[at + 5] & 0x80 || length > DEFAULT_MAX_FRAME_SIZE) return false;
  const streamId =
    ((bytes[at + 5] & 0x7f) << 24) | (bytes[at + 6] << 16) | (bytes[at + 7] << 8) | bytes[at + 8];
  switch (type) {
    case FrameType.SETTINGS:
      return streamId === 0 && length % 6 === 0 && (flags & ~1) === 0 && (flags === 0 || length === 0);
    case FrameType.WINDOW_UPDATE:
      return length === 4 && flags === 0;
    case FrameType.PING:
      return streamId === 0 && length === 8 && (flags & ~1) === 0;
    case FrameType.HEADERS:
    case FrameType.DATA:
      // Client requests use odd stream ids; servers answer on them or push on even ones.
      return streamId !== 0 && (dir === 1 || streamId % 2 === 1) && (flags & ~0x2d) === 0;
    default:
      return false;
  }
}

/**
 * Prior-knowledge h2c starts with the client preface; a capture that starts later shows frames:
 * the server's first SETTINGS, or any plausible first frame that is complete in `firstBytes`
 * and followed (if anything follows) by another plausible frame header.
 */
export function detectHttp2(dir: Direction, bytes: Uint8Array): Detection {
  const n = Math.min(bytes.length, CLIENT_PREFACE.length);
  let prefaceSoFar = true;
  for (let i = 0; i < n && prefaceSoFar; i++) prefaceSoFar = bytes[i] === CLIENT_PREFACE[i];
  if (prefaceSoFar && dir === 0) return bytes.length >= CLIENT_PREFACE.length ? 'yes' : 'need-more';
  if (bytes.length < FRAME_HEADER_LENGTH) return 'need-more';
  if (!plausibleFrame(bytes, 0, dir)) return 'no';
  const next = FRAME_HEADER_LENGTH + ((bytes[0] << 16) | (bytes[1] << 8) | bytes[2]);
  if (bytes.length < next) return bytes[3] === FrameType.SETTINGS ? 'yes' : 'need-more';
  if (bytes.length < next + FRAME_HEADER_LENGTH) return bytes[3] === FrameType.SETTINGS ? 'yes' : 'need-more';
  return plausibleFrame(bytes, next, dir) || bytes[next + 3] <= FrameType.CONTINUATION ? 'yes' : 'no';
}
