import { UsageError } from '../util/errors.js';

/** Option parsers shared by the commands: each turns a string into a value or a UsageError. */

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError('CLI_BAD_NUMBER', `expected a positive whole number, not "${value}"`);
  }
  return n;
}

export interface TraceSpec {
  node: string;
  count: number;
}

/** `NODE:COUNT`, as in VPP's `trace add NODE COUNT`. */
export function parseTraceSpec(value: string): TraceSpec {
  const match = /^([a-z0-9][a-z0-9-]*):(\d+)$/.exec(value);
  if (!match)
    throw new UsageError('CLI_BAD_TRACE', `--trace takes NODE:COUNT (e.g. pcap-input:10), not "${value}"`);
  return { node: match[1], count: parsePositiveInt(match[2]) };
}

/** Adds one `--trace NODE:COUNT` to the list (commander's repeatable-option collector). */
export function collectTrace(value: string, previous: TraceSpec[]): TraceSpec[] {
  return [...previous, parseTraceSpec(value)];
}

/** One of a fixed set of words (`--format table`), or a UsageError with code `code`. */
export function parseChoice<T extends string>(
  value: string,
  choices: readonly T[],
  option: string,
  code: string,
): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(code, `${option} must be one of ${choices.join(', ')}, not "${value}"`);
}

/** `--since`/`--until`: an ISO time (`2026-11-21T10:00:00Z`) or a duration back from now (`15m`, `2h`, `3d`). */
export function parseTimeFlag(value: string): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return (Date.now() - Number(rel[1]) * unit * 1000) * 1000;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError('CLI_BAD_TIME', `expected an ISO time or a duration like 15m, not "${value}"`);
  return ms * 1000;
}
