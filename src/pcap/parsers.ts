import { PcapParser } from './pcap-parser.js';
import { PcapngParser } from './pcapng-parser.js';
import type { FormatParser, RecordFactory } from './parser.js';
import type { CaptureFormat, FramedRecord } from './record.js';

export function createParser<R extends FramedRecord>(
  format: CaptureFormat,
  makeRecord: RecordFactory<R>,
): FormatParser<R> {
  return format === 'pcap' ? new PcapParser(makeRecord) : new PcapngParser(makeRecord);
}
