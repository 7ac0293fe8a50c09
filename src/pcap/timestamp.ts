/**
 * Exact timestamp arithmetic without BigInt on the common paths. pcapng stores a 64-bit
 * count of units (hi, lo 32-bit halves); doubles are exact only below 2^53, so the
 * division by units-per-second is done in 16-bit steps, and BigInt is used only for
 * resolutions whose arithmetic cannot stay below 2^53.
 */

const TWO_16 = 65536;
const TWO_32 = 4294967296;
const NS_PER_SEC = 1_000_000_000;
/** Largest units-per-second for which remainder * 65536 stays exact in a double. */
const MAX_FAST_UNITS = 2 ** 36;

/** Result slot reused by the converters so the per-packet path allocates nothing. */
export interface TimeSlot {
  sec: number;
  nsec: number;
}

/** Timestamp resolution of one pcapng interface, precomputed once per IDB. */
export interface Resolution {
  unitsPerSecond: number;
  /** 1e9 / unitsPerSecond when that is an integer, else 0. */
  nsPerUnit: number;
}

export function resolution(unitsPerSecond: number): Resolution {
  const nsPerUnit =
    unitsPerSecond <= NS_PER_SEC && NS_PER_SEC % unitsPerSecond === 0 ? NS_PER_SEC / unitsPerSecond : 0;
  return { unitsPerSecond, nsPerUnit };
}

/** Converts a 64-bit unit count (hi:lo) into whole seconds + nanoseconds (floor), into `out`. */
export function unitsToTime(hi: number, lo: number, res: Resolution, out: TimeSlot): void {
  const units = res.unitsPerSecond;
  if (units > MAX_FAST_UNITS || hi / units >= 2 ** 20) {
    unitsToTimeBig(hi, lo, units, out);
    return;
  }
  const q1 = Math.floor(hi / units);
  const x = (hi - q1 * units) * TWO_16 + (lo >>> 16);
  const q2 = Math.floor(x / units);
  const y = (x - q2 * units) * TWO_16 + (lo & 0xffff);
  const q3 = Math.floor(y / units);
  const rem = y - q3 * units;
  out.sec = q1 * TWO_32 + q2 * TWO_16 + q3;
  out.nsec = res.nsPerUnit !== 0 ? rem * res.nsPerUnit : fractionToNs(rem, units);
}

/** floor(rem * 1e9 / units) for rem < units, exactly. */
function fractionToNs(rem: number, units: number): number {
  const scaled = rem * NS_PER_SEC;
  if (scaled < Number.MAX_SAFE_INTEGER) {
    let q = Math.floor(scaled / units);
    // The double division may round up across an integer; step back if it did.
    if (q * units > scaled) q -= 1;
    return q;
  }
  return Number((BigInt(rem) * BigInt(NS_PER_SEC)) / BigInt(units));
}

function unitsToTimeBig(hi: number, lo: number, units: number, out: TimeSlot): void {
  const total = (BigInt(hi) << 32n) | BigInt(lo);
  const u = BigInt(units);
  out.sec = Number(total / u);
  out.nsec = Number(((total % u) * 1_000_000_000n) / u);
}

/**
 * Splits sec * 1e9 + nsec into 32-bit halves for a nanosecond pcapng EPB.
 * sec is split at 2^16 so every partial product stays below 2^53.
 */
export interface Halves {
  hi: number;
  lo: number;
}

export function nsToUnits(sec: number, nsec: number, out: Halves): void {
  const s = sec > 0 ? sec : 0;
  const sHigh = Math.floor(s / TWO_16);
  const sLow = s - sHigh * TWO_16;
  const high = sHigh * NS_PER_SEC; // to be multiplied by 2^16
  const highHi = Math.floor(high / TWO_16);
  const rest = (high - highHi * TWO_16) * TWO_16 + sLow * NS_PER_SEC + nsec;
  const carry = Math.floor(rest / TWO_32);
  out.hi = highHi + carry;
  out.lo = rest - carry * TWO_32;
}
