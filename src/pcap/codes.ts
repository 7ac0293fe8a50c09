import { CaptureFileError } from '../util/errors.js';

/**
 * Stable codes of every capture-file failure. Tests and callers compare `error.code`
 * against these, never the message text.
 */
export const CAPTURE_ERROR_CODES = {
  /** The first bytes are neither a pcap nor a pcapng magic number (also: file shorter than a magic). */
  PCAP_BAD_MAGIC: 'PCAP_BAD_MAGIC',
  /** The 24-byte pcap file header is cut short. */
  PCAP_TRUNCATED_HEADER: 'PCAP_TRUNCATED_HEADER',
  /** pcap major version other than 2. */
  PCAP_BAD_VERSION: 'PCAP_BAD_VERSION',
  /** The link-type field has reserved bits set (libpcap and Wireshark refuse such files). */
  PCAP_BAD_LINKTYPE: 'PCAP_BAD_LINKTYPE',
  /** A record header or its captured bytes are cut short by the end of the input. */
  PCAP_TRUNCATED_RECORD: 'PCAP_TRUNCATED_RECORD',
  /** A record's captured length exceeds the sane maximum (MAX_RECORD_BYTES). */
  PCAP_RECORD_TOO_LARGE: 'PCAP_RECORD_TOO_LARGE',
  /** A pcapng block length is below the minimum, not a multiple of 4, disagrees with its trailer, or is too short for its content. */
  PCAPNG_BAD_BLOCK_LENGTH: 'PCAPNG_BAD_BLOCK_LENGTH',
  /** A pcapng block is cut short by the end of the input. */
  PCAPNG_TRUNCATED_BLOCK: 'PCAPNG_TRUNCATED_BLOCK',
  /** Section Header Block with an unsupported version. */
  PCAPNG_BAD_VERSION: 'PCAPNG_BAD_VERSION',
  /** Section Header Block whose byte-order magic is neither order. */
  PCAPNG_BAD_BYTE_ORDER: 'PCAPNG_BAD_BYTE_ORDER',
  /** An option runs past the end of its block or has an invalid value. */
  PCAPNG_BAD_OPTION: 'PCAPNG_BAD_OPTION',
  /** A packet block names an interface no IDB of its section declared. */
  PCAPNG_UNKNOWN_INTERFACE: 'PCAPNG_UNKNOWN_INTERFACE',
  /** A pcapng block longer than MAX_BLOCK_BYTES. */
  PCAPNG_BLOCK_TOO_LARGE: 'PCAPNG_BLOCK_TOO_LARGE',
  /** The file could not be opened. */
  CAPTURE_OPEN_FAILED: 'CAPTURE_OPEN_FAILED',
  /** Reading or writing failed after opening. */
  CAPTURE_IO_ERROR: 'CAPTURE_IO_ERROR',
  /** The pcap writer got records of a link type other than the file's. */
  PCAP_WRITER_LINKTYPE_MISMATCH: 'PCAP_WRITER_LINKTYPE_MISMATCH',
} as const;

export type CaptureErrorCode = (typeof CAPTURE_ERROR_CODES)[keyof typeof CAPTURE_ERROR_CODES];

export function captureError(code: CaptureErrorCode, message: string, offset: number): CaptureFileError {
  return new CaptureFileError(code, message, offset);
}
