/** HTTP/1.0 and HTTP/1.1 dissector (RFC 9112). */
import type { Detection, DissectorFactory, Direction, StreamContext, StreamDissector } from '../types.js';
import { looksLikeRequestStart, looksLikeStatusStart } from './head.js';
import { Http1StreamDissector } from './stream.js';

const PRI = 'PRI * HTTP/2';

export const http1Dissector: DissectorFactory = {
  name: 'http1',
  transports: ['tcp'],
  ports: [80, 8080, 8000, 3128],
  detect(_dir: Direction, firstBytes: Uint8Array): Detection {
    if (isHttp2Preface(firstBytes)) return 'no';
    const request = looksLikeRequestStart(firstBytes, 0);
    const status = looksLikeStatusStart(firstBytes, 0);
    if (request === 'yes' || status === 'yes')
      return firstBytes.length < PRI.length && firstBytes[0] === 0x50 ? 'need-more' : 'yes';
    return request === 'need-more' || status === 'need-more' ? 'need-more' : 'no';
  },
  create(ctx: StreamContext): StreamDissector {
    return new Http1StreamDissector(ctx);
  },
};

/** "PRI * HTTP/2.0" also starts with a method-like token: it belongs to HTTP/2. */
function isHttp2Preface(b: Uint8Array): boolean {
  const n = Math.min(b.length, PRI.length);
  for (let i = 0; i < n; i++) if (b[i] !== PRI.charCodeAt(i)) return false;
  return n > 0;
}
