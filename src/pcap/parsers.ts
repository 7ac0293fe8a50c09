import { PcapParser } from './pcap-parser.js';
import { PcapngParser } from './pcapng-parser.js';
import type { FormatParser } from './parser.js';
import type { CaptureFormat } from './record.js';

export function createParser(format: CaptureFormat): FormatParser {
  return format === 'pcap' ? new PcapParser() : new PcapngParser();
}
