/**
 * The stable error codes of the mirroring control plane and the checks shared by filters,
 * rules and sessions (names, descriptions, tags, whole numbers in a range). Each check takes
 * what a client sent (`unknown`) and returns the value to store, or throws a UsageError.
 */
import { UsageError } from '../util/errors.js';
import { MIRROR_LIMITS as L, type Tag } from './types.js';

/**
 * Every code the control plane throws. The hub maps `*_NOT_FOUND` to 404, `*_DUPLICATE_*`
 * and MIRROR_IN_USE to 409, every other one to 400 (src/hub/http-errors.ts).
 */
export const MIRROR_CODES = {
  MIRROR_BAD_NAME: 'MIRROR_BAD_NAME',
  MIRROR_BAD_DESCRIPTION: 'MIRROR_BAD_DESCRIPTION',
  MIRROR_BAD_TAG: 'MIRROR_BAD_TAG',
  MIRROR_TOO_MANY_TAGS: 'MIRROR_TOO_MANY_TAGS',
  MIRROR_BAD_REQUEST: 'MIRROR_BAD_REQUEST',
  // rules
  MIRROR_BAD_DIRECTION: 'MIRROR_BAD_DIRECTION',
  MIRROR_BAD_PROTOCOL: 'MIRROR_BAD_PROTOCOL',
  MIRROR_BAD_CIDR: 'MIRROR_BAD_CIDR',
  MIRROR_CIDR_FAMILY_MISMATCH: 'MIRROR_CIDR_FAMILY_MISMATCH',
  MIRROR_BAD_PORT_RANGE: 'MIRROR_BAD_PORT_RANGE',
  MIRROR_PORTS_NOT_ALLOWED: 'MIRROR_PORTS_NOT_ALLOWED',
  MIRROR_BAD_PRIORITY: 'MIRROR_BAD_PRIORITY',
  MIRROR_DUPLICATE_PRIORITY: 'MIRROR_DUPLICATE_PRIORITY',
  MIRROR_BAD_POLICY: 'MIRROR_BAD_POLICY',
  MIRROR_TOO_MANY_RULES: 'MIRROR_TOO_MANY_RULES',
  MIRROR_RULE_NOT_FOUND: 'MIRROR_RULE_NOT_FOUND',
  // filters
  MIRROR_FILTER_NOT_FOUND: 'MIRROR_FILTER_NOT_FOUND',
  MIRROR_IN_USE: 'MIRROR_IN_USE',
  // sessions
  MIRROR_BAD_VNI: 'MIRROR_BAD_VNI',
  MIRROR_DUPLICATE_VNI: 'MIRROR_DUPLICATE_VNI',
  MIRROR_VNI_EXHAUSTED: 'MIRROR_VNI_EXHAUSTED',
  MIRROR_BAD_SESSION_PRIORITY: 'MIRROR_BAD_SESSION_PRIORITY',
  MIRROR_DUPLICATE_SESSION_PRIORITY: 'MIRROR_DUPLICATE_SESSION_PRIORITY',
  MIRROR_BAD_PACKET_LENGTH: 'MIRROR_BAD_PACKET_LENGTH',
  MIRROR_BAD_FILTER: 'MIRROR_BAD_FILTER',
  MIRROR_BAD_SOURCE: 'MIRROR_BAD_SOURCE',
  MIRROR_TOO_MANY_SOURCES: 'MIRROR_TOO_MANY_SOURCES',
  MIRROR_DUPLICATE_SOURCE: 'MIRROR_DUPLICATE_SOURCE',
  MIRROR_SOURCE_NOT_FOUND: 'MIRROR_SOURCE_NOT_FOUND',
  MIRROR_BAD_DESTINATION: 'MIRROR_BAD_DESTINATION',
  MIRROR_DUPLICATE_DESTINATION: 'MIRROR_DUPLICATE_DESTINATION',
  MIRROR_SOURCE_IS_DESTINATION: 'MIRROR_SOURCE_IS_DESTINATION',
  MIRROR_ADDRESS_LOOKUP_FAILED: 'MIRROR_ADDRESS_LOOKUP_FAILED',
  MIRROR_SESSION_NOT_FOUND: 'MIRROR_SESSION_NOT_FOUND',
} as const;
const C = MIRROR_CODES;

/** C0 and C1 control characters and DEL: what a terminal or a log line should never receive. */
const CONTROL = /\p{Cc}/u;
const URL_SCHEME = /https?:\/\//i;
/** Tag keys under this prefix belong to meshtap itself. */
export const RESERVED_TAG_PREFIX = 'meshtap:';

/** A name: 1..128 printable characters, not only spaces. */
export function validName(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    value.length > L.maxNameLength ||
    CONTROL.test(value)
  ) {
    throw new UsageError(
      C.MIRROR_BAD_NAME,
      `name must be 1 to ${L.maxNameLength} printable characters, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A description: up to 256 printable characters; absent means empty. */
export function validDescription(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > L.maxDescriptionLength || CONTROL.test(value)) {
    throw new UsageError(
      C.MIRROR_BAD_DESCRIPTION,
      `description must be at most ${L.maxDescriptionLength} printable characters`,
    );
  }
  return value;
}

/**
 * Up to 20 tags `{key, value}` with distinct keys: key 1..128 characters, value 0..128, no
 * control characters, neither containing `http://` or `https://`; keys starting `meshtap:`
 * are reserved.
 */
export function validTags(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UsageError(C.MIRROR_BAD_TAG, 'tags must be a list of {key, value}');
  if (value.length > L.maxTags) {
    throw new UsageError(C.MIRROR_TOO_MANY_TAGS, `at most ${L.maxTags} tags, not ${value.length}`);
  }
  const tags = value.map(validTag);
  const keys = new Set<string>();
  for (const { key } of tags) {
    if (keys.has(key)) throw new UsageError(C.MIRROR_BAD_TAG, `tag key "${key}" is given twice`);
    keys.add(key);
  }
  return tags;
}

function validTag(item: unknown): Tag {
  const t = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  const key = t.key;
  const value = t.value ?? '';
  if (typeof key !== 'string' || key.length === 0 || key.length > L.maxTagKeyLength || CONTROL.test(key)) {
    throw new UsageError(
      C.MIRROR_BAD_TAG,
      `a tag key must be 1 to ${L.maxTagKeyLength} printable characters`,
    );
  }
  if (typeof value !== 'string' || value.length > L.maxTagValueLength || CONTROL.test(value)) {
    throw new UsageError(
      C.MIRROR_BAD_TAG,
      `the value of tag "${key}" must be at most ${L.maxTagValueLength} printable characters`,
    );
  }
  if (URL_SCHEME.test(key) || URL_SCHEME.test(value)) {
    throw new UsageError(C.MIRROR_BAD_TAG, `tag "${key}" must not contain http:// or https://`);
  }
  if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
    throw new UsageError(C.MIRROR_BAD_TAG, `tag keys starting "${RESERVED_TAG_PREFIX}" are reserved`);
  }
  return { key, value };
}

/** A whole number in [min, max], or a UsageError with `code` naming the field and its range. */
export function validInt(value: unknown, min: number, max: number, field: string, code: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      code,
      `${field} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A request body must be a JSON object whose fields are all known. */
export function requestObject(
  value: unknown,
  known: readonly string[],
  what: string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(C.MIRROR_BAD_REQUEST, `${what} must be an object`);
  }
  const unknown = Object.entries(value)
    .filter(([k, v]) => v !== undefined && !known.includes(k))
    .map(([k]) => k);
  if (unknown.length > 0) {
    throw new UsageError(C.MIRROR_BAD_REQUEST, `${what}: unknown field(s) ${unknown.join(', ')}`);
  }
  return value as Record<string, unknown>;
}
