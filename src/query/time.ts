/** Microseconds per unit of the duration helpers: `timestamp > now() - minutes(5)`. */
export const DURATION_UNITS_US: ReadonlyMap<string, number> = new Map([
  ['microseconds', 1],
  ['milliseconds', 1e3],
  ['seconds', 1e6],
  ['minutes', 60e6],
  ['hours', 3600e6],
  ['days', 86400e6],
]);

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

/**
 * `datetime("2026-11-21T10:00:00Z")` → µs since the epoch, or undefined when the text is not an
 * ISO 8601 date (time optional, fraction down to the µs, `Z` or ±hh:mm; no zone means UTC).
 */
export function parseDatetimeUs(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not turn years 0-99 into 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  const ms = check.getTime() + ((hour * 60 + minute) * 60 + second) * 1000;
  const fractionUs = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  return (ms - offsetMinutes(m[8]) * 60_000) * 1000 + fractionUs;
}
