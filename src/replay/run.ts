import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelOpener, ReplayChannel } from './channels.js';
import { REPLAY_ERROR_CODES as E, ReplayError, socketError } from './errors.js';
import { Inbox, type ReceivedChunk, type WaitOutcome } from './inbox.js';
import type { RunOptions } from './options.js';
import type { ReplayScript } from './script.js';
import type { ResolvedTarget } from './target.js';

/** How long a finished run waits for the peer to close after our FIN. */
const CLOSE_GRACE_MS = 1_000;

export interface RunResult {
  /** 1-based run number. */
  run: number;
  status: 'ok' | 'error';
  error: { code: string; message: string } | null;
  messagesSent: number;
  bytesSent: number;
  bytesReceived: number;
  /** Time to establish the connection (TCP) or connect the socket (UDP), or null if it failed. */
  connectMs: number | null;
  /** From the start of the run (before connecting) to the last answer, before closing. */
  latencyMs: number;
  /** HTTP responses that differ from the original (with --compare). */
  differences?: number;
}

export interface RunOutcome {
  result: RunResult;
  /** What the target sent, per turn (only when received bytes were kept). */
  received: ReceivedChunk[] | null;
}

export interface RunSetup {
  script: ReplayScript;
  target: ResolvedTarget;
  options: RunOptions;
  open: ChannelOpener;
  /** Keep received bytes (for --compare), up to this many per run; 0 keeps none. */
  keepBytes: number;
}

/** The run's clock: its start, and the bound every wait inside it respects. */
class RunClock {
  readonly start = performance.now();

  constructor(private readonly limitMs: number) {}

  elapsed(): number {
    return performance.now() - this.start;
  }

  /** `ms`, shortened to what is left of the run; the run timed out when nothing is left. */
  bound(ms: number): number {
    const left = this.limitMs - this.elapsed();
    if (left <= 0) throw new ReplayError(E.TIMEOUT, 'the run took longer than its bound', { phase: 'run' });
    return Math.max(1, Math.min(ms, Math.ceil(left)));
  }
}

/** One conversation's counters, kept as it goes so a failed run still reports what it did. */
class Progress {
  messagesSent = 0;
  bytesSent = 0;
  connectMs: number | null = null;
}

/** Opens a new connection to the target and plays the script's client turns on it. */
export async function replayOnce(setup: RunSetup, run: number): Promise<RunOutcome> {
  const { options } = setup;
  const inbox = new Inbox(setup.keepBytes > 0, setup.keepBytes);
  const clock = new RunClock(options.runTimeoutMs);
  const progress = new Progress();
  let channel: ReplayChannel | null = null;
  let error: ReplayError | null = null;
  try {
    channel = await setup.open(setup.target, inbox, clock.bound(options.timeoutMs));
    progress.connectMs = clock.elapsed();
    await converse(setup, channel, inbox, clock, progress);
  } catch (err) {
    error = socketError(err, 'replay');
  }
  const latencyMs = clock.elapsed();
  await channel?.close(Math.min(CLOSE_GRACE_MS, options.timeoutMs));
  const result: RunResult = {
    run,
    status: error === null ? 'ok' : 'error',
    error: error === null ? null : { code: error.code, message: error.message },
    messagesSent: progress.messagesSent,
    bytesSent: progress.bytesSent,
    bytesReceived: inbox.bytes,
    connectMs: progress.connectMs,
    latencyMs,
  };
  return { result, received: inbox.kept };
}

async function converse(
  setup: RunSetup,
  channel: ReplayChannel,
  inbox: Inbox,
  clock: RunClock,
  progress: Progress,
): Promise<void> {
  const { script, options } = setup;
  const answers = options.wait === 'response';
  if (answers && script.greetingBytes > 0)
    await expectAnswer(inbox, 0, script.greetingBytes, options, clock, -1);
  const messages = script.messages;
  let firstSendAt = -1;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (options.pace === 'original' && firstSendAt >= 0) {
      const due = firstSendAt + (m.tsUs - messages[0].tsUs) / 1000 / options.speed;
      await pace(due, clock);
    }
    if (inbox.error !== null) throw inbox.error;
    if (inbox.closed) throw peerClosed(i);
    if (firstSendAt < 0) firstSendAt = performance.now();
    inbox.turn = i;
    const since = inbox.bytes;
    if (m.bytes.length > 0) await channel.send(m.bytes, clock.bound(options.timeoutMs));
    progress.messagesSent++;
    progress.bytesSent += m.bytes.length;
    if (answers) await expectAnswer(inbox, since, m.responseBytes, options, clock, i);
  }
  if (!answers) await expectAnswer(inbox, 0, totalAnswerBytes(script), options, clock, messages.length - 1);
}

/** Waits for one answer and turns a failed wait into its typed error. */
async function expectAnswer(
  inbox: Inbox,
  since: number,
  expected: number,
  options: RunOptions,
  clock: RunClock,
  turn: number,
): Promise<void> {
  const outcome: WaitOutcome = await inbox.waitForAnswer(
    since,
    expected,
    Math.min(options.idleMs, options.timeoutMs),
    clock.bound(options.timeoutMs),
  );
  if (outcome === 'failed') throw inbox.error;
  if (outcome === 'timeout') {
    const what = turn < 0 ? 'no greeting' : `no answer to message ${turn + 1}`;
    throw new ReplayError(E.TIMEOUT, `${what} in time`, { phase: 'answer', turn });
  }
}

async function pace(dueAt: number, clock: RunClock): Promise<void> {
  // A timer can fire up to a millisecond early: sleeping once let a message due after the
  // run's bound go out just before it (a flaky test showed it). So wait until the message is
  // due; bound() throws once the run is out of time, and each turn sleeps at least 1 ms.
  for (let delay = dueAt - performance.now(); delay > 0; delay = dueAt - performance.now())
    await sleep(clock.bound(delay));
  clock.bound(1);
}

function peerClosed(turn: number): ReplayError {
  return new ReplayError(E.PEER_CLOSED, `the target closed the connection before message ${turn + 1}`, {
    phase: 'send',
    turn,
  });
}

function totalAnswerBytes(script: ReplayScript): number {
  return script.messages.reduce((sum, m) => sum + m.responseBytes, script.greetingBytes);
}
