import type { ByteWindow } from './parser.js';
import {
  applyInterfaceOption,
  nextOptionPos,
  OPT_COMMENT,
  OPT_PACKET_FLAGS,
  OPTION_FOUND,
  OPTION_OVERRUN,
  optionText,
  readOption,
  type OptionCursor,
} from './pcapng-options.js';
import type { CaptureInterface, PacketRecord } from './record.js';

/** Shared cursor: option walking is synchronous and never re-entered. */
const cursor: OptionCursor = { code: 0, start: 0, length: 0 };

/** Walks the options in [pos, end); returns the position of the first bad one, or -1. */
export function validateOptions(win: ByteWindow, pos: number, end: number, le: boolean): number {
  for (;;) {
    const status = readOption(win.view, pos, end, le, cursor);
    if (status === OPTION_OVERRUN) return pos;
    if (status !== OPTION_FOUND) return -1;
    pos = nextOptionPos(cursor);
  }
}

/** Fills name, description, resolution and offset of an IDB; returns the position of a bad option, or -1. */
export function readInterfaceOptions(
  win: ByteWindow,
  pos: number,
  end: number,
  le: boolean,
  iface: CaptureInterface,
): number {
  for (;;) {
    const status = readOption(win.view, pos, end, le, cursor);
    if (status === OPTION_OVERRUN) return pos;
    if (status !== OPTION_FOUND) return -1;
    if (!applyInterfaceOption(iface, win.view, win.bytes, le, cursor)) return pos;
    pos = nextOptionPos(cursor);
  }
}

/** Copies opt_comment and epb_flags/pack_flags into the record; returns the position of a bad option, or -1. */
export function readPacketOptions(
  win: ByteWindow,
  pos: number,
  end: number,
  le: boolean,
  record: PacketRecord,
): number {
  for (;;) {
    const status = readOption(win.view, pos, end, le, cursor);
    if (status === OPTION_OVERRUN) return pos;
    if (status !== OPTION_FOUND) return -1;
    if (cursor.code === OPT_COMMENT) {
      (record.comments ??= []).push(optionText(win.bytes, cursor));
    } else if (cursor.code === OPT_PACKET_FLAGS && cursor.length === 4) {
      record.flags = win.view.getUint32(cursor.start, le);
    }
    pos = nextOptionPos(cursor);
  }
}
