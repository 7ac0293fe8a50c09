import { Ipv4Layer } from '../decode/ipv4.js';
import { Ipv6Layer } from '../decode/ipv6.js';
import { Ipv6FragmentLayer } from '../decode/ipv6ext.js';
import type { GraphPacket } from '../graph/packet.js';
import type { QueuedRecord } from './stream-pcap.js';

export interface FragmentHoldLimits {
  /** Most bytes of fragments held at once; the oldest datagrams' fragments go first. */
  maxBytes: number;
  /** Fragments older than this (packet time) are let go: their datagram will not complete. */
  maxAgeUs: number;
}

export const DEFAULT_FRAGMENT_HOLD_LIMITS: FragmentHoldLimits = { maxBytes: 8 << 20, maxAgeUs: 60e6 };

/**
 * A stream file holds the frames that were captured, but the flow layer only sees an IP
 * datagram once its fragments are reassembled, as a new packet that was never on the wire
 * (and has a bare-IP link type). So the captured fragments are copied here as they pass, and
 * when a reassembled datagram reaches the store — it carries the `seq` of the fragment that
 * completed it — the fragments of that datagram (same addresses and identification) are
 * written in its place.
 */
export class FragmentHold {
  /** Datagram key → its fragments; Map order is the order the datagrams started (oldest first). */
  private readonly groups = new Map<string, QueuedRecord[]>();
  private readonly keyBySeq = new Map<number, string>();
  private bytes = 0;

  constructor(private readonly limits: FragmentHoldLimits = DEFAULT_FRAGMENT_HOLD_LIMITS) {}

  /** Keeps a copy of `pkt` if it is an IP fragment headed for reassembly. */
  offer(pkt: GraphPacket): void {
    if (pkt.derived) return;
    const key = datagramKey(pkt);
    if (key === null) return;
    // A copy: the packet's bytes belong to the reader and are reused after this vector.
    const held: QueuedRecord = {
      seq: pkt.seq,
      data: pkt.data.slice(),
      origLen: pkt.origLen,
      tsSec: pkt.tsSec,
      tsNsec: pkt.tsNsec,
      linkType: pkt.linkType,
      interfaceId: pkt.interfaceId,
    };
    const group = this.groups.get(key);
    if (group === undefined) this.groups.set(key, [held]);
    else group.push(held);
    this.keyBySeq.set(pkt.seq, key);
    this.bytes += held.data.length;
    while (this.bytes > this.limits.maxBytes) {
      const [oldestKey, oldest] = this.groups.entries().next().value as [string, QueuedRecord[]];
      this.release(oldestKey, oldest);
    }
  }

  /**
   * The fragments of the datagram completed by the fragment numbered `seq`, in capture order
   * (empty if unknown). Fragments of the same key captured after it (a late duplicate) stay:
   * they are not part of this datagram.
   */
  take(seq: number): QueuedRecord[] {
    const key = this.keyBySeq.get(seq);
    if (key === undefined) return [];
    const group = this.groups.get(key) ?? [];
    const taken = group.filter((f) => f.seq <= seq);
    const later = group.filter((f) => f.seq > seq);
    this.release(key, taken);
    if (later.length > 0) this.groups.set(key, later);
    return taken.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Lets go of datagrams whose first fragment is more than maxAgeUs from `nowUs` in either
   * direction: concatenated captures jump back in time, and a datagram from "the future"
   * will not complete either. Called once per vector with the time of its last packet —
   * not per fragment, because inside a vector packets reach the store out of capture order.
   */
  expire(nowUs: number): void {
    for (const [key, group] of this.groups) {
      const first = group[0];
      if (Math.abs(nowUs - (first.tsSec * 1e6 + Math.floor(first.tsNsec / 1000))) > this.limits.maxAgeUs)
        this.release(key, group);
    }
  }

  /** Forgets `fragments`, and their datagram key. */
  private release(key: string, fragments: QueuedRecord[]): void {
    this.groups.delete(key);
    for (const f of fragments) {
      this.keyBySeq.delete(f.seq);
      this.bytes -= f.data.length;
    }
  }
}

/** Addresses + protocol + identification of the datagram a fragment belongs to, or null for a non-fragment. */
function datagramKey(pkt: GraphPacket): string | null {
  const last = pkt.lastLayer;
  if (last instanceof Ipv4Layer && last.fragmented && !last.truncated)
    return `4/${last.src}/${last.dst}/${last.protocol}/${last.id}`;
  if (!(last instanceof Ipv6FragmentLayer) || last.truncated) return null;
  const ip = pkt.layers.findLast((l): l is Ipv6Layer => l instanceof Ipv6Layer);
  if (ip === undefined) return null;
  const d = pkt.data;
  const hex = (at: number) => Buffer.from(d.buffer, d.byteOffset + at, 16).toString('hex');
  return `6/${hex(ip.srcOffset)}/${hex(ip.dstOffset)}/${last.identification}`;
}
