import type { DissectorFactory, StreamContext, StreamDissector } from '../types.js';
import { Http2Connection, type Http2Options, type UpgradeRequest } from './connection.js';
import { detectHttp2 } from './detect.js';

export type { Http2Options, UpgradeRequest } from './connection.js';
export { detectHttp2 } from './detect.js';

/**
 * gRPC's default port. h2c on 80/8080/3000 shares those ports with HTTP/1, so it is found by
 * content (the preface, or a plausible first frame) rather than claimed by port.
 */
const H2C_PORTS = [50051];

/** An HTTP/2 (and gRPC) dissector factory; pass a gRPC schema decoder to decode messages by name. */
export function createHttp2Dissector(options: Http2Options = {}): DissectorFactory {
  return {
    name: 'http2',
    transports: ['tcp'],
    ports: H2C_PORTS,
    detect: detectHttp2,
    create: (ctx: StreamContext): StreamDissector => new Http2Connection(ctx, options),
  };
}

/** Prior-knowledge h2c and mid-connection pickup, raw protobuf for gRPC. */
export const http2Dissector: DissectorFactory = createHttp2Dissector();

/**
 * Continues a connection after HTTP/1.1 `101 Switching Protocols` with `Upgrade: h2c`: the bytes
 * forwarded next are the client's preface and frames and the server's frames. The upgraded
 * request is stream 1 (half-closed from the client); its response arrives on stream 1 and is
 * emitted with the given request.
 */
export function createUpgradedHttp2(
  ctx: StreamContext,
  upgrade: UpgradeRequest,
  options: Http2Options = {},
): StreamDissector {
  return new Http2Connection(ctx, options, upgrade);
}
