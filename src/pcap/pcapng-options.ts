import type { CaptureInterface } from './record.js';

/** Where one option's value lies; reused across calls so walking options allocates nothing. */
export interface OptionCursor {
  code: number;
  start: number;
  length: number;
}

export const OPT_END = 0;
export const OPT_COMMENT = 1;
/** epb_flags in an EPB, pack_flags in the obsolete Packet Block: the same code. */
export const OPT_PACKET_FLAGS = 2;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** Option parse status: another option is in the cursor, the list ended, or it ran past `end`. */
export const OPTION_FOUND = 1;
export const OPTIONS_DONE = 0;
export const OPTION_OVERRUN = -1;

/**
 * Reads the option at `pos` (code, length, value padded to 4 bytes) into `cur`.
 * Returns OPTION_FOUND with cur.start/length set, OPTIONS_DONE at opt_endofopt or
 * at `end`, or OPTION_OVERRUN when the option claims more bytes than remain.
 */
export function readOption(view: DataView, pos: number, end: number, le: boolean, cur: OptionCursor): number {
  if (end - pos < 4) return OPTIONS_DONE;
  cur.code = view.getUint16(pos, le);
  cur.length = view.getUint16(pos + 2, le);
  cur.start = pos + 4;
  if (cur.code === OPT_END) return OPTIONS_DONE;
  return cur.start + cur.length > end ? OPTION_OVERRUN : OPTION_FOUND;
}

export function nextOptionPos(cur: OptionCursor): number {
  return cur.start + ((cur.length + 3) & ~3);
}

const utf8 = new TextDecoder('utf-8');

/** UTF-8 option text up to the first NUL: some writers NUL-terminate and leave garbage after it (Wireshark stops there too). */
export function optionText(bytes: Uint8Array, cur: OptionCursor): string {
  const value = bytes.subarray(cur.start, cur.start + cur.length);
  const nul = value.indexOf(0);
  return utf8.decode(nul < 0 ? value : value.subarray(0, nul));
}

/** Units per second of an if_tsresol byte: 10^-n, or 2^-n when the top bit is set; null when out of a 64-bit range. */
export function tsresolUnits(value: number): number | null {
  const exponent = value & 0x7f;
  if (value & 0x80) return exponent <= 63 ? 2 ** exponent : null;
  return exponent <= 19 ? 10 ** exponent : null;
}

/**
 * Applies one IDB option to the interface being built. Returns false when a value is
 * malformed (wrong length, impossible resolution).
 */
export function applyInterfaceOption(
  iface: CaptureInterface,
  view: DataView,
  bytes: Uint8Array,
  le: boolean,
  cur: OptionCursor,
): boolean {
  switch (cur.code) {
    case IF_NAME:
      iface.name = optionText(bytes, cur);
      return true;
    case IF_DESCRIPTION:
      iface.description = optionText(bytes, cur);
      return true;
    case IF_TSRESOL: {
      const units = cur.length === 1 ? tsresolUnits(bytes[cur.start]) : null;
      if (units === null) return false;
      iface.tsUnitsPerSecond = units;
      return true;
    }
    case IF_TSOFFSET:
      if (cur.length !== 8) return false;
      iface.tsOffsetSec = Number(view.getBigInt64(cur.start, le));
      return true;
    default:
      return true;
  }
}
