import { UsageError } from '../util/errors.js';
import { parseTcpdumpParams, type CaptureParams } from './tcpdump-params.js';

/** What a capture task watches: the host's own interfaces, or one network namespace (a pod's stand-in). */
export type CaptureTarget = { kind: 'host' } | { kind: 'netns'; netns: string };

/** A capture task as the user asks for it (CLI flags or the API body), before validation. */
export interface CaptureTaskRequest {
  target?: unknown;
  durationSeconds?: unknown;
  tcpdumpParams?: unknown;
  fileName?: unknown;
  sizeLimitBytes?: unknown;
}

/** A validated request. */
export interface CaptureTaskSpec {
  target: CaptureTarget;
  durationSeconds: number;
  /** The parameters as the user wrote them (shown back) and as parsed (used). */
  tcpdumpParams: string;
  params: CaptureParams;
  fileName: string;
  sizeLimitBytes: number | null;
}

export const TASK_LIMITS = {
  minDurationSeconds: 1,
  maxDurationSeconds: 24 * 3600,
  minSizeLimitBytes: 64 * 1024,
  maxSizeLimitBytes: 16 * 2 ** 30,
  maxFileNameLength: 128,
} as const;

export const TASK_SPEC_CODES = {
  TASK_BAD_TARGET: 'TASK_BAD_TARGET',
  TASK_BAD_DURATION: 'TASK_BAD_DURATION',
  TASK_BAD_FILE_NAME: 'TASK_BAD_FILE_NAME',
  TASK_BAD_SIZE_LIMIT: 'TASK_BAD_SIZE_LIMIT',
  TASK_BAD_PARAMS: 'TASK_BAD_PARAMS',
} as const;
const C = TASK_SPEC_CODES;

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Letters, digits and a few punctuation marks; the name must not start with a dot (no hidden files, no `..`). */
const SAVE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** How the name of a file the hub saves for a user is checked: the field, the error code, the endings. */
export interface SaveNameRule {
  field: string;
  code: string;
  /** The endings the name may have, dot included (`.pcap`). */
  extensions: readonly string[];
  maxLength: number;
  /** Shown when the name is missing. */
  example: string;
}

const TASK_FILE_NAME: SaveNameRule = {
  field: 'fileName',
  code: C.TASK_BAD_FILE_NAME,
  extensions: ['.pcap', '.pcapng'],
  maxLength: TASK_LIMITS.maxFileNameLength,
  example: 'checkout-502.pcap',
};

/** Checks every field of a request; the first problem is thrown as a UsageError with a stable code. */
export function validateTaskRequest(req: CaptureTaskRequest): CaptureTaskSpec {
  const target = validTarget(req.target);
  const durationSeconds = validDuration(req.durationSeconds);
  const fileName = checkSaveName(req.fileName, TASK_FILE_NAME);
  const sizeLimitBytes = validSizeLimit(req.sizeLimitBytes);
  const raw = req.tcpdumpParams ?? '';
  if (typeof raw !== 'string') throw new UsageError(C.TASK_BAD_PARAMS, 'tcpdumpParams must be a string');
  // The parser's own codes (forbidden flag, bad value, filter syntax) pass through unchanged.
  const params = parseTcpdumpParams(raw);
  return { target, durationSeconds, tcpdumpParams: raw.trim(), params, fileName, sizeLimitBytes };
}

function validTarget(value: unknown): CaptureTarget {
  if (value === undefined || value === 'host') return { kind: 'host' };
  if (typeof value === 'string' && value.startsWith('netns:')) return netnsTarget(value.slice(6));
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (v.kind === 'host') return { kind: 'host' };
    if (v.kind === 'netns' && typeof v.netns === 'string') return netnsTarget(v.netns);
  }
  throw new UsageError(C.TASK_BAD_TARGET, 'target must be "host", "netns:NAME" or {kind, netns}');
}

function netnsTarget(name: string): CaptureTarget {
  if (!NETNS_NAME.test(name))
    throw new UsageError(C.TASK_BAD_TARGET, `${JSON.stringify(name)} is not a network namespace name`);
  return { kind: 'netns', netns: name };
}

function validDuration(value: unknown): number {
  const { minDurationSeconds: min, maxDurationSeconds: max } = TASK_LIMITS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(C.TASK_BAD_DURATION, `durationSeconds must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * A file name a user gives for the hub to save under its data directory: one plain name (no
 * path separators, no `..`, no leading dot), bounded, with one of the rule's endings.
 */
export function checkSaveName(value: unknown, rule: SaveNameRule): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new UsageError(rule.code, `${rule.field} is required (e.g. ${rule.example})`);
  }
  if (value.length > rule.maxLength) {
    throw new UsageError(rule.code, `${rule.field} is longer than ${rule.maxLength} characters`);
  }
  if (value.includes('/') || value.includes('\\') || value.includes('..')) {
    throw new UsageError(rule.code, `${rule.field} must not contain path separators or ".."`);
  }
  // A leading dot is refused by SAVE_NAME, so the ending cannot be the whole name.
  if (!SAVE_NAME.test(value) || !rule.extensions.some((ext) => value.endsWith(ext))) {
    throw new UsageError(
      rule.code,
      `${rule.field} may use letters, digits, "_", "-", "+" and "." and must end in ${rule.extensions.join(' or ')}`,
    );
  }
  return value;
}

function validSizeLimit(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const { minSizeLimitBytes: min, maxSizeLimitBytes: max } = TASK_LIMITS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      C.TASK_BAD_SIZE_LIMIT,
      `sizeLimitBytes must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}
