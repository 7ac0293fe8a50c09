import type { ReplayError } from './errors.js';

/** How a wait for the server's answer ended. */
export type WaitOutcome =
  /** The original answer's byte count arrived. */
  | 'complete'
  /** Bytes arrived and then nothing for the idle time (or nothing was expected). */
  | 'quiet'
  /** The peer closed its side. */
  | 'closed'
  /** Nothing at all arrived in time. */
  | 'timeout'
  /** The socket failed (error holds why). */
  | 'failed';

/** Received bytes, tagged with the turn they arrived in (-1: before the first message). */
export interface ReceivedChunk {
  turn: number;
  bytes: Uint8Array;
}

/**
 * What one run's socket received: a byte count, the peer's close, the first error, and
 * (for --compare) copies of the bytes up to a bound. The run waits on it between turns.
 */
export class Inbox {
  bytes = 0;
  /** performance.now() of the first received byte, or -1. */
  firstByteAt = -1;
  closed = false;
  error: ReplayError | null = null;
  /** The turn that bytes arriving now answer; the run advances it as it sends. */
  turn = -1;
  readonly kept: ReceivedChunk[] | null;
  /** More arrived than the keep bound; `kept` holds the beginning only. */
  keptOverflow = false;
  private keptBytes = 0;
  private notify: (() => void) | null = null;

  constructor(
    keep: boolean,
    private readonly maxKeptBytes: number,
  ) {
    this.kept = keep ? [] : null;
  }

  push(chunk: Uint8Array): void {
    if (this.firstByteAt < 0) this.firstByteAt = performance.now();
    this.bytes += chunk.length;
    if (this.kept !== null && !this.keptOverflow) this.keep(chunk);
    this.notify?.();
  }

  peerClosed(): void {
    this.closed = true;
    this.notify?.();
  }

  fail(err: ReplayError): void {
    this.error ??= err;
    this.notify?.();
  }

  /**
   * Waits for the answer to what was sent when `since` bytes had been received: until
   * `expected` more bytes arrived, or bytes arrived and then `idleMs` passed without more,
   * or the peer closed, or the socket failed; `timeoutMs` bounds the whole wait. With
   * nothing expected, it waits for `idleMs` of quiet.
   */
  waitForAnswer(since: number, expected: number, idleMs: number, timeoutMs: number): Promise<WaitOutcome> {
    return new Promise((resolve) => {
      let idle: NodeJS.Timeout | null = null;
      const finish = (outcome: WaitOutcome): void => {
        clearTimeout(deadline);
        if (idle !== null) clearTimeout(idle);
        this.notify = null;
        resolve(outcome);
      };
      const deadline = setTimeout(
        () => finish(this.bytes > since || expected === 0 ? 'quiet' : 'timeout'),
        timeoutMs,
      );
      const check = (): void => {
        const got = this.bytes - since;
        if (this.error !== null) finish('failed');
        else if (expected > 0 && got >= expected) finish('complete');
        else if (this.closed) finish('closed');
        else if (idle !== null) idle.refresh();
        else if (got > 0 || expected === 0) idle = setTimeout(() => finish('quiet'), idleMs);
      };
      this.notify = check;
      check();
    });
  }

  private keep(chunk: Uint8Array): void {
    const room = this.maxKeptBytes - this.keptBytes;
    if (chunk.length > room) this.keptOverflow = true;
    // Sockets hand out a fresh Buffer per chunk, so a view of it is safe to keep.
    const part = chunk.subarray(0, Math.min(room, chunk.length));
    this.keptBytes += part.length;
    if (part.length > 0) this.kept!.push({ turn: this.turn, bytes: part });
  }
}
