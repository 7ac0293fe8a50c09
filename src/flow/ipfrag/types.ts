/**
 * Public vocabulary of the IP fragment reassembler: limits, overlap policies, results and the
 * stable drop codes. Kept apart from the implementation so callers (the ip-reassembly graph
 * node, tests) can depend on the contract alone.
 */

export interface FragmentLimits {
  /** Datagrams under reassembly at once; the oldest is evicted to admit a new one. */
  maxDatagrams: number;
  /** Bytes held by all datagrams together (buffers + bookkeeping); oldest-first eviction. */
  maxBytesTotal: number;
  /** Largest reassembled payload (the fragmentable part), in bytes. */
  maxDatagramBytes: number;
  /** Fragments accepted into one datagram before it is dropped. */
  maxFragmentsPerDatagram: number;
  /** A datagram not completed within this long after its first fragment (packet time) is dropped. */
  timeoutUs: number;
}

export const DEFAULT_FRAGMENT_LIMITS: Readonly<FragmentLimits> = Object.freeze({
  maxDatagrams: 8192,
  maxBytesTotal: 16 * 1024 * 1024,
  maxDatagramBytes: 65535,
  maxFragmentsPerDatagram: 256,
  // Linux's net.ipv4.ipfrag_time default.
  timeoutUs: 30_000_000,
});

/**
 * How bytes are chosen when fragments overlap (docs/ip-reassembly.md has the exact rules):
 * - `first`   the byte received first always wins
 * - `last`    the byte received last always wins
 * - `bsd`     the new fragment wins where it starts before the fragment that owns the byte
 * - `linux`   like bsd, but the new fragment also wins when it starts at the same offset
 * - `windows` the owner wins unless the new fragment strictly encloses it (starts before, ends after)
 * - `solaris` the new fragment wins where it starts before the owner and ends at or after its end
 * - `rfc5722` any overlap that is not an exact duplicate drops the whole datagram
 */
export type OverlapPolicy = 'first' | 'last' | 'bsd' | 'linux' | 'windows' | 'solaris' | 'rfc5722';

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'first',
  'last',
  'bsd',
  'linux',
  'windows',
  'solaris',
  'rfc5722',
];

/** Stable codes carried by a `dropped` result (tests assert these, never message text). */
export const DropReason = {
  /** The datagram would exceed maxDatagramBytes or the 16-bit IP length field. */
  TooBig: 'ipfrag.too_big',
  /** More than maxFragmentsPerDatagram fragments. */
  TooManyFragments: 'ipfrag.too_many_fragments',
  /** Non-last fragment not a multiple of 8 bytes, data beyond the total, or two different totals. */
  BadLength: 'ipfrag.bad_length',
  /** Fragment offset not a multiple of 8 (cannot come from a real header). */
  BadOffset: 'ipfrag.bad_offset',
  /** IPv4 header shorter than 20 / longer than 60 bytes, or an unparseable IPv6 unfragmentable part. */
  BadHeader: 'ipfrag.bad_header',
  /** A non-last fragment with no payload: nothing to place. */
  Empty: 'ipfrag.empty',
  /** Policy `rfc5722`: an overlapping fragment that is not an exact duplicate. */
  OverlapConflict: 'ipfrag.overlap_conflict',
  /** The datagram alone does not fit in maxBytesTotal. */
  MemoryLimit: 'ipfrag.memory_limit',
} as const;

export type DropCode = (typeof DropReason)[keyof typeof DropReason];

export type ReassemblyResult =
  | { status: 'pending' }
  | {
      status: 'complete';
      /** A whole IP packet (header + reassembled payload), freshly allocated. */
      packet: Uint8Array;
      /** Fragments accepted into the datagram, duplicates and overlaps included. */
      fragments: number;
    }
  | { status: 'dropped'; reason: DropCode };

/** Counters, all monotonic. */
export interface FragmentStats {
  /** Fragments offered (every addIpv4/addIpv6 call). */
  fragments: number;
  /** Datagrams completed. */
  reassembled: number;
  /** Datagrams dropped because their timeout passed. */
  timedOut: number;
  /** Datagrams dropped to make room (datagram count or byte limit). */
  evicted: number;
  /** Fragments that overlapped data already held with at least one different byte or extent. */
  overlaps: number;
  /** Fragments whose every byte was already held with the same value. */
  duplicates: number;
  /** Drops with ipfrag.too_big. */
  tooBig: number;
  /** Drops for malformed fragments (bad length/offset/header, empty, too many, overlap conflict). */
  invalid: number;
}
