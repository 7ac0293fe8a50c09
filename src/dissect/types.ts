import type { EntryDraft, Endpoint } from './entry.js';

/** 0: from the client (the connection's initiator, or the sender of the first datagram); 1: from the server. */
export type Direction = 0 | 1;

export interface DissectLimits {
  /** Largest message body kept for display; longer bodies are counted and flagged 'body_truncated'. */
  maxBodyBytes: number;
  /** Largest header block (HTTP headers, HPACK block, Diameter message) parsed before giving up. */
  maxHeaderBytes: number;
  /** Outstanding requests remembered per stream while waiting for responses. */
  maxPendingExchanges: number;
  /**
   * Whether message bodies are kept and decoded for the entries' `body` text. Outputs that
   * show no body (the entry table) turn it off: bodies are then counted, with the same size
   * and truncation as when kept, but not copied, decompressed or turned into text.
   */
  bodyText: boolean;
}

export const DEFAULT_DISSECT_LIMITS: DissectLimits = {
  maxBodyBytes: 1 << 20,
  maxHeaderBytes: 256 << 10,
  maxPendingExchanges: 1024,
  bodyText: true,
};

/**
 * Where a dissector declares the bytes it keeps between calls: partial messages, bodies,
 * header blocks, requests waiting for their answers. The flow table adds them to the
 * reassemblers' out-of-order bytes, and over its global limit it ends the least recently
 * active flows that hold any, so what all streams keep together stays bounded.
 */
export interface ByteMeter {
  /** What the stream keeps grew (`delta` > 0) or shrank (`delta` < 0) by `delta` bytes. */
  hold(delta: number): void;
}

/** What a dissector gets from the flow layer for one stream. */
export interface StreamContext extends ByteMeter {
  readonly streamId: number;
  readonly transport: 'tcp' | 'udp' | 'sctp';
  /** The endpoints, for entries: formatted when asked, so read them once per entry. */
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Their ports alone, for choices made per stream (detection by port, mDNS), without formatting addresses. */
  readonly clientPort: number;
  readonly serverPort: number;
  readonly limits: DissectLimits;
  /** Hand over one finished (or abandoned) exchange. */
  emit(entry: EntryDraft): void;
  /** Count an oddity with a stable name (`http1.bad_status_line`); dissection goes on. */
  anomaly(name: string): void;
}

/**
 * A resumable state machine over one stream (after websockets/ws `Receiver`): bytes arrive
 * split anywhere, it consumes what it can and waits for more. It never throws.
 */
export interface StreamDissector {
  /** In-order bytes from one direction. `bytes` is only valid during the call: copy what you keep. For UDP, one call per datagram. */
  data(dir: Direction, bytes: Uint8Array, tsUs: number): void;
  /** `length` bytes of this direction were never captured; resynchronise or mark the exchange incomplete. */
  gap(dir: Direction, length: number, tsUs: number): void;
  /** The stream ended (FIN/RST, idle timeout, eviction or end of input): flush what is pending. */
  end(tsUs: number): void;
}

export type Detection = 'yes' | 'no' | 'need-more';

export interface DissectorFactory {
  /** Registry name: 'http1', 'http2', 'grpc' is reached through http2, 'diameter', 'dns'. */
  readonly name: string;
  readonly transports: ReadonlyArray<'tcp' | 'udp' | 'sctp'>;
  /** Well-known ports tried first; content detection still runs on other ports. */
  readonly ports: readonly number[];
  /** Look at the first bytes a direction sent and say whether this protocol is spoken. */
  detect(dir: Direction, firstBytes: Uint8Array): Detection;
  create(ctx: StreamContext): StreamDissector;
}
