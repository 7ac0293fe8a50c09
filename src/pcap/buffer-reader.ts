import type { CaptureFileError } from '../util/errors.js';
import { CAPTURE_ERROR_CODES as E, captureError } from './codes.js';
import { detectFormat, windowOf, windowRecord, type WindowRecord } from './parser.js';
import { createParser } from './parsers.js';
import type { CaptureFormat, CaptureInterface, PacketRecord } from './record.js';

export interface CaptureBufferContents {
  format: CaptureFormat | null;
  interfaces: CaptureInterface[];
  records: PacketRecord[];
  error: CaptureFileError | null;
}

/** Parses a whole capture held in memory; records' data are views into `buf`. Never throws. */
export function readCaptureBuffer(buf: Uint8Array): CaptureBufferContents {
  const win = windowOf(buf, 0);
  const format = detectFormat(win.view, 0, buf.length);
  if (format === null) {
    const error = captureError(E.PCAP_BAD_MAGIC, 'not a pcap or pcapng file', 0);
    return { format, interfaces: [], records: [], error };
  }
  const parser = createParser(format, windowRecord);
  const records: WindowRecord[] = [];
  const pos = parser.parse(win, 0, buf.length, records, Infinity);
  parser.endOfInput(buf.length - pos, pos);
  return { format, interfaces: parser.interfaces, records, error: parser.error };
}
