/** DNS dissector (RFC 1035) over UDP and TCP, including mDNS (5353) and LLMNR (5355). */
import type { Detection, DissectorFactory, Direction, StreamContext, StreamDissector } from '../types.js';
import { checkName } from './names.js';
import { DnsStreamDissector } from './stream.js';

export { parseDnsMessage } from './message.js';
export type { DnsMessage, DnsQuestion, DnsRecord } from './message.js';

const HEADER_LEN = 12;
/** More questions than this in a first message is not a DNS message worth claiming. */
const MAX_PLAUSIBLE_QUESTIONS = 16;

export const dnsDissector: DissectorFactory = {
  name: 'dns',
  transports: ['udp', 'tcp'],
  ports: [53, 5353, 5355],
  detect(_dir: Direction, firstBytes: Uint8Array): Detection {
    if (firstBytes.length < HEADER_LEN) return 'need-more';
    const tcpLen = (firstBytes[0] << 8) | firstBytes[1];
    // A TCP message starts with its own length; a UDP datagram is one message.
    if (tcpLen === firstBytes.length - 2 && plausibleHeader(firstBytes, 2)) return 'yes';
    return plausibleHeader(firstBytes, 0) ? 'yes' : 'no';
  },
  create(ctx: StreamContext): StreamDissector {
    return new DnsStreamDissector(ctx);
  },
};

/** Opcode in use, Z bit clear, a sane question count whose first name reads cleanly. */
function plausibleHeader(b: Uint8Array, o: number): boolean {
  if (b.length < o + HEADER_LEN) return false;
  const opcode = (b[o + 2] >> 3) & 0xf;
  const z = b[o + 3] & 0x40;
  const qd = (b[o + 4] << 8) | b[o + 5];
  if (z !== 0 || opcode === 3 || opcode > 6 || qd > MAX_PLAUSIBLE_QUESTIONS) return false;
  if (qd === 0) return true;
  const name = checkName(b.subarray(o), HEADER_LEN);
  return name.problem === null && name.next + 4 <= b.length - o;
}
