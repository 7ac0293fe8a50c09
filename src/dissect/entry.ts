/**
 * An entry is one exchange a user debugs: an HTTP request and its response, a gRPC call,
 * a Diameter request and its answer, a DNS query and its reply. Dissectors fill the
 * protocol-specific `request`/`response` objects; the envelope is common so the store,
 * the query language and the dashboard treat every protocol alike.
 */
export type EntryProtocol = 'http' | 'http2' | 'grpc' | 'diameter' | 'dns';

export interface Endpoint {
  ip: string;
  port: number;
  /** Filled by the name resolver (pod or service name), when known. */
  name?: string;
  namespace?: string;
}

export interface Entry {
  /** Set by the sink that stores the entry; dissectors leave it empty. */
  id: string;
  protocol: EntryProtocol;
  transport: 'tcp' | 'udp' | 'sctp';
  /** Flow-table id of the L4 stream that carried the exchange. */
  streamId: number;
  /** Position of this exchange within its stream (0-based). */
  index: number;
  /** Client (the side that sent the request) and server. */
  src: Endpoint;
  dst: Endpoint;
  /** Microseconds since the Unix epoch when the first byte of the request was captured. */
  timestampUs: number;
  /** Microseconds from the request's first byte to the response's last, or null without a response. */
  elapsedUs: number | null;
  /** Protocol-specific request summary (method, path, headers, ...), or null if only a response was seen. */
  request: Record<string, unknown> | null;
  response: Record<string, unknown> | null;
  /** Bytes on the wire (headers + body) of each side. */
  requestSize: number;
  responseSize: number;
  /** Stable names of what makes the exchange incomplete or odd, e.g. 'gap', 'no_response', 'header_block_undecodable'. */
  flags: string[];
}

/** An entry as a dissector emits it, before the sink assigns an id and the resolver adds names. */
export type EntryDraft = Omit<Entry, 'id'>;
