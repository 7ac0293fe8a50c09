import type { ReplayScript } from '../../../src/replay/index.js';

/**
 * A hand-made TCP script: one message per text, captured at the given offsets (µs) from an
 * arbitrary start, each answered by `answerBytes` bytes in the "capture".
 */
export function handScript(
  texts: readonly string[],
  offsetsUs: readonly number[],
  answerBytes = 3,
): ReplayScript {
  const t0 = 1_700_000_000_000_000;
  return {
    transport: 'tcp',
    streamId: 0,
    client: { ip: '192.0.2.1', port: 40000 },
    server: { ip: '192.0.2.2', port: 7 },
    greetingBytes: 0,
    greeting: null,
    messages: texts.map((text, i) => ({
      bytes: Buffer.from(text),
      tsUs: t0 + offsetsUs[i],
      responseBytes: answerBytes,
      gapBytes: 0,
      response: null,
    })),
    gaps: [],
    captureError: null,
  };
}
