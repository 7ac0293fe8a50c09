/** ISO-8601 UTC times for any timestamp a capture can hold, computed without Date. */

const SECONDS_PER_DAY = 86_400;

/** A capture timestamp as an ISO-8601 UTC time with nanoseconds (`show trace`, `read --format json`). */
export function formatCaptureTime(tsSec: number, tsNsec: number): string {
  return `${secondText(tsSec)}.${pad(tsNsec, 9)}Z`;
}

/** Microseconds since the epoch as an ISO-8601 UTC time with microseconds (entry tables). */
export function formatTimeUs(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  return `${secondText(sec)}.${pad(us - sec * 1_000_000, 6)}Z`;
}

/**
 * The second last spelled, kept: times come in order, many in the same second, and the date
 * arithmetic below costs more than the rest of a line. (Date.toISOString cost ~6,700
 * instructions a call, and throws for the times Date cannot hold.)
 */
let lastSecond = Number.NaN;
let lastSecondText = '';

/**
 * `YYYY-MM-DDTHH:MM:SS` of a second since the epoch. Any number of seconds is a date: a
 * capture can hold garbage times (a pcapng timestamp of 2^64 - 1 microseconds is the year
 * 586524), which Date cannot hold. Years past 9999 and before 0 are written with a sign and
 * at least six digits, as toISOString writes them.
 */
function secondText(tsSec: number): string {
  if (tsSec === lastSecond) return lastSecondText;
  const days = Math.floor(tsSec / SECONDS_PER_DAY);
  const second = tsSec - days * SECONDS_PER_DAY;
  const { year, month, day } = civilDate(days);
  const yearText =
    year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  const time = `${pad(Math.floor(second / 3600), 2)}:${pad(Math.floor(second / 60) % 60, 2)}:${pad(second % 60, 2)}`;
  lastSecond = tsSec;
  lastSecondText = `${yearText}-${pad(month, 2)}-${pad(day, 2)}T${time}`;
  return lastSecondText;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year eras of
 * 146,097 days whose years start on 1 March, so the leap day ends a year.
 */
function civilDate(days: number): { year: number; month: number; day: number } {
  const sinceMarch0 = days + 719_468; // days from 0000-03-01 to 1970-01-01
  const era = Math.floor(sinceMarch0 / 146_097);
  const dayOfEra = sinceMarch0 - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}
