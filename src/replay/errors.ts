import { MeshtapError } from '../util/errors.js';

/**
 * Stable codes of everything a replay can report. Stream codes come from reading the
 * capture; run codes describe one replay run against the target and are what the stress
 * report counts (tests assert these, never message text).
 */
export const REPLAY_ERROR_CODES = {
  /** No TCP/UDP stream in the file matches the selector. */
  NO_STREAM: 'REPLAY_NO_STREAM',
  /** The stream has no client payload to send. */
  EMPTY_STREAM: 'REPLAY_EMPTY_STREAM',
  /** Client bytes are missing from the capture (refused unless allowGaps). */
  STREAM_GAP: 'REPLAY_STREAM_GAP',
  /** The stream holds more bytes (or messages) than the replay limit. */
  STREAM_TOO_LARGE: 'REPLAY_STREAM_TOO_LARGE',
  /** --compare on a stream that is not HTTP/1.x over TCP. */
  COMPARE_UNSUPPORTED: 'REPLAY_COMPARE_UNSUPPORTED',
  /** An option out of its bounds, or a malformed HOST:PORT or stream tuple. */
  BAD_OPTION: 'REPLAY_BAD_OPTION',
  BAD_TARGET: 'REPLAY_BAD_TARGET',
  BAD_SELECTOR: 'REPLAY_BAD_SELECTOR',
  /** The target host name does not resolve. */
  HOST_NOT_FOUND: 'REPLAY_HOST_NOT_FOUND',
  CONNECT_REFUSED: 'REPLAY_CONNECT_REFUSED',
  CONNECT_TIMEOUT: 'REPLAY_CONNECT_TIMEOUT',
  UNREACHABLE: 'REPLAY_UNREACHABLE',
  /** No answer in time (response wait, a blocked send, or the whole run's bound). */
  TIMEOUT: 'REPLAY_TIMEOUT',
  /** The peer reset the connection (RST, EPIPE). */
  RESET: 'REPLAY_RESET',
  /** The peer closed the connection while client messages were still to be sent. */
  PEER_CLOSED: 'REPLAY_PEER_CLOSED',
  /** Any other socket failure (EMSGSIZE, EACCES, ...); the errno is in details. */
  SOCKET_ERROR: 'REPLAY_SOCKET_ERROR',
} as const;

export type ReplayErrorCode = (typeof REPLAY_ERROR_CODES)[keyof typeof REPLAY_ERROR_CODES];

export class ReplayError extends MeshtapError {
  constructor(code: ReplayErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'ReplayError';
  }
}

const E = REPLAY_ERROR_CODES;

/** errno → replay code: the failures a stress test wants to tell apart. */
const BY_ERRNO: Record<string, ReplayErrorCode> = {
  ECONNREFUSED: E.CONNECT_REFUSED,
  ECONNRESET: E.RESET,
  EPIPE: E.RESET,
  ECONNABORTED: E.RESET,
  ETIMEDOUT: E.TIMEOUT,
  EHOSTUNREACH: E.UNREACHABLE,
  ENETUNREACH: E.UNREACHABLE,
  EHOSTDOWN: E.UNREACHABLE,
  ENOTFOUND: E.HOST_NOT_FOUND,
  EAI_AGAIN: E.HOST_NOT_FOUND,
};

/** A socket error as a ReplayError with a stable code; the errno stays in details. */
export function socketError(err: unknown, phase: string): ReplayError {
  if (err instanceof ReplayError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code ?? 'unknown';
  const message = err instanceof Error ? err.message : String(err);
  return new ReplayError(BY_ERRNO[errno] ?? E.SOCKET_ERROR, `${phase}: ${message}`, { errno, phase });
}
