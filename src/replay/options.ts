import { UsageError } from '../util/errors.js';
import { REPLAY_ERROR_CODES as E } from './errors.js';

/** Headers that differ on every response and say nothing about the server's behaviour (--compare skips them). */
export const DEFAULT_IGNORED_HEADERS: readonly string[] = ['date'];

/** How one run talks to the target. */
export interface RunOptions {
  /** 'response': after each message, wait for the server's answer; 'none': send back to back, then wait once. */
  wait: 'response' | 'none';
  /** 'original': keep the captured gaps between messages (divided by speed); 'none': no added delay. */
  pace: 'original' | 'none';
  speed: number;
  /** Bounds each wait: connect, one send, one answer. */
  timeoutMs: number;
  /** An answer is over when bytes came and then nothing for this long (or its original size arrived). */
  idleMs: number;
  /** Bounds a whole run, pacing included. */
  runTimeoutMs: number;
}

export interface StressOptions {
  /** Runs in all. */
  count: number;
  /** Runs at once at most. */
  concurrency: number;
}

/** Hard bounds: a replay never opens more, waits longer or paces slower than this. */
export const REPLAY_LIMITS = {
  maxCount: 100_000,
  maxConcurrency: 1_000,
  maxTimeoutMs: 3_600_000,
  maxIdleMs: 60_000,
  maxRunTimeoutMs: 86_400_000,
  minSpeed: 0.001,
  maxSpeed: 1_000,
} as const;

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  wait: 'response',
  pace: 'none',
  speed: 1,
  timeoutMs: 5_000,
  idleMs: 200,
  runTimeoutMs: 300_000,
};

export const DEFAULT_STRESS_OPTIONS: StressOptions = { count: 1, concurrency: 1 };

/** Fills defaults and checks every bound; a value out of bounds is a UsageError (REPLAY_BAD_OPTION). */
export function checkedOptions(given: Partial<RunOptions & StressOptions>): RunOptions & StressOptions {
  const o = { ...DEFAULT_RUN_OPTIONS, ...DEFAULT_STRESS_OPTIONS, ...defined(given) };
  const L = REPLAY_LIMITS;
  inRange('count', o.count, 1, L.maxCount, true);
  inRange('concurrency', o.concurrency, 1, L.maxConcurrency, true);
  inRange('timeoutMs', o.timeoutMs, 1, L.maxTimeoutMs, true);
  inRange('idleMs', o.idleMs, 1, L.maxIdleMs, true);
  inRange('runTimeoutMs', o.runTimeoutMs, 1, L.maxRunTimeoutMs, true);
  inRange('speed', o.speed, L.minSpeed, L.maxSpeed, false);
  oneOf('wait', o.wait, ['response', 'none']);
  oneOf('pace', o.pace, ['original', 'none']);
  return {
    wait: o.wait,
    pace: o.pace,
    speed: o.speed,
    timeoutMs: o.timeoutMs,
    idleMs: o.idleMs,
    runTimeoutMs: o.runTimeoutMs,
    count: o.count,
    concurrency: Math.min(o.concurrency, o.count),
  };
}

/** Drops undefined fields so they do not hide the defaults. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function inRange(name: string, v: number, min: number, max: number, whole: boolean): void {
  if (typeof v === 'number' && v >= min && v <= max && (!whole || Number.isInteger(v))) return;
  throw new UsageError(
    E.BAD_OPTION,
    `${name} must be ${whole ? 'a whole number ' : ''}in ${min}..${max}, not ${v}`,
  );
}

function oneOf(name: string, v: string, choices: string[]): void {
  if (!choices.includes(v))
    throw new UsageError(E.BAD_OPTION, `${name} must be one of ${choices.join(', ')}, not "${v}"`);
}
