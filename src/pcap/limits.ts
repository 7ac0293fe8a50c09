/**
 * Bounds that keep memory finite whatever the input claims. The record limit is the
 * maximum libpcap and Wireshark accept for ordinary link types (262144 bytes); a larger
 * captured length is treated as damage rather than allocated.
 */
export const MAX_RECORD_BYTES = 262_144;

/** Largest pcapng block accepted (Wireshark's bound): a record plus generous options. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/** Size of each read from a file and of each write by the writers. */
export const IO_CHUNK_BYTES = 1024 * 1024;

export const DEFAULT_BATCH_SIZE = 256;
