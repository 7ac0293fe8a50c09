import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CaptureReader } from '../pcap/index.js';
import type { CaptureFormat, CaptureInterface, PacketRecord } from '../pcap/record.js';
import { CaptureFileError, MeshtapError } from '../util/errors.js';
import { decapVxlan, VXLAN_MALFORMED_REASONS, type VxlanMalformedReason } from './vxlan-decap.js';

export const MIRROR_RECEIVE_CODES = {
  /** The UDP socket could not be bound (port in use, address not local, no permission). */
  MIRROR_LISTEN_FAILED: 'MIRROR_LISTEN_FAILED',
  /** The bound socket reported an error; receiving stopped. */
  MIRROR_RECEIVE_FAILED: 'MIRROR_RECEIVE_FAILED',
} as const;

export const RECEIVER_DEFAULTS = {
  batchSize: 256,
  maxQueuedPackets: 65_536,
  maxQueuedBytes: 64 * 1024 * 1024,
  /** SO_RCVBUF asked of the kernel; Linux caps it at net.core.rmem_max (x2). */
  receiveBufferBytes: 8 * 1024 * 1024,
} as const;

const LINKTYPE_ETHERNET = 1;
/** Largest inner frame a UDP datagram can carry, rounded up to the classic snaplen. */
const RECEIVER_SNAPLEN = 65_535;

export interface VxlanReceiverOptions {
  /** An IPv4 or IPv6 literal ('::' and '0.0.0.0' listen on every address). */
  host: string;
  /** UDP port; 0 picks a free one (see `address`). */
  port: number;
  /** Accept only this VNI; null or absent accepts every VNI. */
  vni?: number | null;
  /** Stop receiving after this many accepted packets (they are all delivered). */
  maxPackets?: number;
  batchSize?: number;
  /** Bounds on what waits for the consumer; beyond them arriving packets are dropped and counted. */
  maxQueuedPackets?: number;
  maxQueuedBytes?: number;
  receiveBufferBytes?: number;
}

/** Every datagram is counted once: received = accepted + wrongVni + malformed (all reasons) + queueDrops. */
export interface VxlanReceiverCounters {
  received: number;
  /** Valid VXLAN of the wanted VNI, queued for the consumer. */
  accepted: number;
  wrongVni: number;
  malformed: Record<VxlanMalformedReason, number>;
  /** Valid packets dropped because the consumer was behind and the queue was full. */
  queueDrops: number;
}

export interface ListenAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** `127.0.0.1:4789` or `[::1]:4789`. */
export function formatListenAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Arrival timestamps with nanosecond resolution: the wall clock is read once at start
 * (millisecond precision), then the monotonic clock's elapsed time is added, so stamps
 * never go backwards when the system clock is adjusted during a long receive.
 */
class ArrivalClock {
  private readonly startSec: number;
  private readonly startNs: number;
  private readonly startPerfMs: number;

  constructor() {
    this.startPerfMs = performance.now();
    const wallMs = Date.now();
    this.startSec = Math.floor(wallMs / 1000);
    this.startNs = (wallMs - this.startSec * 1000) * 1e6;
  }

  stamp(record: PacketRecord): void {
    const ns = this.startNs + Math.round((performance.now() - this.startPerfMs) * 1e6);
    const carry = Math.floor(ns / 1e9);
    record.tsSec = this.startSec + carry;
    record.tsNsec = ns - carry * 1e9;
  }
}

function bindSocket(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * A capture source fed by VXLAN datagrams (a mirror destination): each valid datagram of
 * the wanted VNI becomes one Ethernet record whose data is a view into the datagram (Node
 * allocates every datagram its own buffer, so nothing is copied). Records wait in a bounded
 * queue and leave it in vectors of up to batchSize: as many as have arrived when the
 * consumer asks, never waiting for a vector to fill.
 */
export class VxlanReceiver implements CaptureReader {
  /** The records look like one libpcap capture: one interface, one link type. */
  readonly format: CaptureFormat = 'pcap';
  readonly interfaces: readonly CaptureInterface[];
  readonly names: ReadonlyArray<{ address: string; names: string[] }> = [];
  readonly address: ListenAddress;
  readonly counters: VxlanReceiverCounters = {
    received: 0,
    accepted: 0,
    wrongVni: 0,
    malformed: Object.fromEntries(VXLAN_MALFORMED_REASONS.map((r) => [r, 0])) as Record<
      VxlanMalformedReason,
      number
    >,
    queueDrops: 0,
  };
  bytesRead = 0;
  error: CaptureFileError | null = null;

  private readonly vni: number | null;
  private readonly maxPackets: number;
  private readonly batchSize: number;
  private readonly maxQueuedPackets: number;
  private readonly maxQueuedBytes: number;
  private readonly clock = new ArrivalClock();
  private queue: PacketRecord[] = [];
  private head = 0;
  private queuedBytes = 0;
  private receiving = true;
  private closed = false;
  private readonly socketClosed: Promise<void>;
  private wake: (() => void) | null = null;
  private wakeScheduled = false;

  /** Binds the socket; rejects with MIRROR_LISTEN_FAILED when it cannot. */
  static async open(opts: VxlanReceiverOptions): Promise<VxlanReceiver> {
    const socket = createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
    try {
      await bindSocket(socket, opts.port, opts.host);
    } catch (err) {
      socket.close();
      const { code, message } = err as NodeJS.ErrnoException;
      throw new MeshtapError(
        MIRROR_RECEIVE_CODES.MIRROR_LISTEN_FAILED,
        `cannot listen on ${formatListenAddress(opts.host, opts.port)}: ${message}`,
        { errno: code },
      );
    }
    try {
      socket.setRecvBufferSize(opts.receiveBufferBytes ?? RECEIVER_DEFAULTS.receiveBufferBytes);
    } catch {
      // A larger kernel buffer only absorbs bursts better; the default still works.
    }
    return new VxlanReceiver(socket, opts);
  }

  private constructor(
    private readonly socket: Socket,
    opts: VxlanReceiverOptions,
  ) {
    this.vni = opts.vni ?? null;
    this.maxPackets = opts.maxPackets ?? Infinity;
    this.batchSize = Math.max(1, opts.batchSize ?? RECEIVER_DEFAULTS.batchSize);
    this.maxQueuedPackets = opts.maxQueuedPackets ?? RECEIVER_DEFAULTS.maxQueuedPackets;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? RECEIVER_DEFAULTS.maxQueuedBytes;
    const bound = socket.address();
    this.address = { address: bound.address, port: bound.port, family: bound.family as 'IPv4' | 'IPv6' };
    this.interfaces = [
      {
        linkType: LINKTYPE_ETHERNET,
        snaplen: RECEIVER_SNAPLEN,
        section: 0,
        name: `vxlan ${formatListenAddress(bound.address, bound.port)}`,
        description: `VXLAN mirror receiver, ${this.vni === null ? 'any VNI' : `VNI ${this.vni}`}`,
        tsUnitsPerSecond: 1e9,
        tsOffsetSec: 0,
      },
    ];
    this.socketClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('message', this.onMessage);
    socket.on('error', this.onSocketError);
  }

  async *batches(): AsyncIterableIterator<PacketRecord[]> {
    try {
      while (!this.closed) {
        if (this.head < this.queue.length) {
          yield this.takeBatch();
          continue;
        }
        if (!this.receiving) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.close();
    }
  }

  /** Stops receiving and closes the socket; what is queued is still delivered, then batches() ends. */
  stop(): void {
    if (!this.receiving) return;
    this.receiving = false;
    this.socket.close();
    this.wakeConsumer();
  }

  /** Stops receiving, discards what is queued and ends batches(); resolves once the socket is closed. */
  async close(): Promise<void> {
    this.stop();
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.wakeConsumer();
    await this.socketClosed;
  }

  private readonly onMessage = (datagram: Buffer): void => {
    if (!this.receiving) return;
    const counters = this.counters;
    counters.received++;
    this.bytesRead += datagram.length;
    const frame = decapVxlan(datagram, this.vni);
    if (typeof frame === 'string') {
      if (frame === 'wrong_vni') counters.wrongVni++;
      else counters.malformed[frame]++;
      return;
    }
    if (
      this.queue.length - this.head >= this.maxQueuedPackets ||
      this.queuedBytes + frame.length > this.maxQueuedBytes
    ) {
      counters.queueDrops++;
      return;
    }
    const record: PacketRecord = {
      data: frame,
      origLen: frame.length,
      tsSec: 0,
      tsNsec: 0,
      linkType: LINKTYPE_ETHERNET,
      interfaceId: 0,
    };
    this.clock.stamp(record);
    this.queue.push(record);
    this.queuedBytes += frame.length;
    counters.accepted++;
    if (counters.accepted >= this.maxPackets) this.stop();
    else this.scheduleWake();
  };

  private readonly onSocketError = (err: Error): void => {
    this.error = new CaptureFileError(
      MIRROR_RECEIVE_CODES.MIRROR_RECEIVE_FAILED,
      `receiving VXLAN failed: ${err.message}`,
      this.bytesRead,
    );
    this.stop();
  };

  /** Up to batchSize records from the head of the queue; the whole queue array when it all fits. */
  private takeBatch(): PacketRecord[] {
    const end = Math.min(this.queue.length, this.head + this.batchSize);
    const batch =
      this.head === 0 && end === this.queue.length ? this.queue : this.queue.slice(this.head, end);
    if (end === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else {
      this.head = end;
      // Keep the taken prefix from growing without bound while the producer keeps pace.
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    for (const record of batch) this.queuedBytes -= record.data.length;
    return batch;
  }

  /**
   * A waiting consumer is woken at the end of the current I/O phase rather than at once:
   * datagrams the kernel hands over together then travel as one vector, at no real latency.
   */
  private scheduleWake(): void {
    if (this.wake === null || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(this.wakeFromImmediate);
  }

  private readonly wakeFromImmediate = (): void => {
    this.wakeScheduled = false;
    this.wakeConsumer();
  };

  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
