/** Diameter dissector (RFC 6733) over TCP and SCTP DATA chunks. */
import type { Detection, DissectorFactory, Direction, StreamContext, StreamDissector } from '../types.js';
import { COMMANDS } from './dictionary.js';
import { HEADER_LEN, readHeader } from './message.js';
import { DiameterStreamDissector } from './stream.js';

export type { Avp, AvpValue } from './avp.js';
export { lookupAvp, COMMANDS, APPLICATIONS } from './dictionary.js';

export const diameterDissector: DissectorFactory = {
  name: 'diameter',
  transports: ['tcp', 'sctp'],
  ports: [3868],
  detect(_dir: Direction, firstBytes: Uint8Array): Detection {
    if (firstBytes.length < HEADER_LEN)
      return firstBytes.length > 0 && firstBytes[0] !== 1 ? 'no' : 'need-more';
    const h = readHeader(firstBytes, 0);
    return h !== null && COMMANDS[h.commandCode] !== undefined ? 'yes' : 'no';
  },
  create(ctx: StreamContext): StreamDissector {
    return new DiameterStreamDissector(ctx);
  },
};
