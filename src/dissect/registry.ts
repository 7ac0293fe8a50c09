import { diameterDissector } from './diameter/index.js';
import { dnsDissector } from './dns/index.js';
import { http1Dissector } from './http1/index.js';
import { http2Dissector } from './http2/index.js';
import type { DissectorFactory } from './types.js';

/**
 * Every stream dissector meshtap knows, in the order content detection tries them when no
 * port matches. gRPC is reached through HTTP/2 (content-type application/grpc).
 */
export const DISSECTORS: readonly DissectorFactory[] = [
  http2Dissector,
  http1Dissector,
  diameterDissector,
  dnsDissector,
];
