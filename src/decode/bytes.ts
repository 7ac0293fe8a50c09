/**
 * Big-endian reads for the decoders' hot paths. Callers check bounds first (the layer
 * contract), so these do no checking of their own; V8 inlines them.
 */
export function u16(data: Uint8Array, at: number): number {
  return (data[at] << 8) | data[at + 1];
}

export function u32(data: Uint8Array, at: number): number {
  return ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
}

export function u16le(data: Uint8Array, at: number): number {
  return data[at] | (data[at + 1] << 8);
}

export function u32le(data: Uint8Array, at: number): number {
  return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
}
