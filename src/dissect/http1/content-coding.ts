/** Undoing Content-Encoding (gzip, deflate, br) for display, with the output bounded. */
import zlib from 'node:zlib';

export interface Decoded {
  bytes: Buffer;
  /** The output reached the limit, so only its first `limit` bytes are shown. */
  truncated: boolean;
}

type Inflate = (input: Uint8Array, limit: number) => Buffer;

const FLUSH = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

/** Sync-flush lets a body we cut short (or that the capture cut short) still give its first bytes. */
const DECODERS: Record<string, Inflate> = {
  gzip: (input, limit) => zlib.gunzipSync(input, { ...FLUSH, maxOutputLength: limit }),
  'x-gzip': (input, limit) => zlib.gunzipSync(input, { ...FLUSH, maxOutputLength: limit }),
  // "deflate" is meant to be zlib-wrapped, but some servers send raw deflate data.
  deflate: (input, limit) =>
    (input[0] & 0x0f) === 8 && ((input[0] << 8) | input[1]) % 31 === 0
      ? zlib.inflateSync(input, { ...FLUSH, maxOutputLength: limit })
      : zlib.inflateRawSync(input, { ...FLUSH, maxOutputLength: limit }),
  br: (input, limit) =>
    zlib.brotliDecompressSync(input, {
      finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      maxOutputLength: limit,
    }),
};

/** Binary search steps for the longest input prefix whose output fits: bounds the work on a decompression bomb. */
const MAX_PREFIX_STEPS = 24;

export function isKnownCoding(coding: string): boolean {
  return DECODERS[coding] !== undefined;
}

/**
 * Decodes `input` with `coding` into at most `limit` bytes. When the whole output would be
 * larger, returns the output of the longest input prefix that fits (found by bisection).
 * Returns null when the data is not valid for the coding.
 */
export function decodeContent(coding: string, input: Uint8Array, limit: number): Decoded | null {
  const inflate = DECODERS[coding];
  if (!inflate || input.length === 0) return null;
  const whole = attempt(inflate, input, limit);
  if (whole instanceof Buffer) return { bytes: whole, truncated: false };
  if (whole !== 'too-large') return null;
  let lo = 0;
  let hi = input.length;
  let best: Buffer = Buffer.alloc(0);
  for (let step = 0; step < MAX_PREFIX_STEPS && hi - lo > 1; step++) {
    const mid = (lo + hi) >>> 1;
    const out = attempt(inflate, input.subarray(0, mid), limit);
    if (out instanceof Buffer) [lo, best] = [mid, out];
    else hi = mid;
  }
  return { bytes: best, truncated: true };
}

function attempt(inflate: Inflate, input: Uint8Array, limit: number): Buffer | 'too-large' | 'invalid' {
  try {
    return inflate(input, limit);
  } catch (err) {
    return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'invalid';
  }
}
