/** The capture-file layer: streaming pcap/pcapng readers, a synchronous buffer reader, and writers. */
export { openCapture, type CaptureReader, type OpenOptions } from './stream-reader.js';
export { readCaptureBuffer, type CaptureBufferContents } from './buffer-reader.js';
export {
  createCaptureWriter,
  formatForPath,
  type CaptureWriter,
  type CaptureWriterOptions,
} from './writer.js';
export { CAPTURE_ERROR_CODES, type CaptureErrorCode } from './codes.js';
export { MAX_RECORD_BYTES, MAX_BLOCK_BYTES } from './limits.js';
export type { NameRecord, RecordGate } from './parser.js';
export {
  copyRecord,
  type CaptureFormat,
  type CaptureInterface,
  type FramedRecord,
  type PacketRecord,
} from './record.js';
