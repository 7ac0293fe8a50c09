import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { MeshtapError } from '../util/errors.js';
import type { MirrorEndpoint } from './types.js';

/** A destination with its address family known, ready for the hot path. */
export interface ResolvedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `host:port` / `[host]:port`, for trace lines. */
  readonly label: string;
}

/** Destinations are interface addresses: IP literals, so no name lookup ever runs per packet. */
export function resolveEndpoint(endpoint: MirrorEndpoint): ResolvedEndpoint {
  const family = isIP(endpoint.host);
  if (family === 0) {
    throw new MeshtapError(
      'MIRROR_DESTINATION_NOT_IP',
      `mirror destination ${endpoint.host} is not an IP address`,
    );
  }
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    throw new MeshtapError('MIRROR_BAD_PORT', `mirror destination port ${endpoint.port} is not 1..65535`);
  }
  const label = family === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
  return { host: endpoint.host, port: endpoint.port, family: family as 4 | 6, label };
}

/** Outcomes of DatagramSender.send, index into SEND_OUTCOMES. */
export const SEND_OK = 0;
export const SEND_QUEUE_FULL = 1;
export const SEND_NO_SOCKET = 2;
export const SEND_OUTCOMES = ['sent', 'send queue full', 'no socket for the address family'] as const;

/** Where udp-output hands datagrams; a pool of UDP sockets in production, a recorder in tests. */
export interface DatagramSender {
  /** Never blocks: queues the datagram or refuses it at once (SEND_QUEUE_FULL, SEND_NO_SOCKET). */
  send(datagram: Uint8Array, to: ResolvedEndpoint, hash: number, onSent: (err: Error | null) => void): number;
  /** The UDP source port a flow hash leaves from (0 when not known). */
  sourcePort(family: 4 | 6, hash: number): number;
  /** Every local UDP port datagrams leave from: lets classify recognise the mirror's own packets. */
  readonly localPorts: ReadonlySet<number>;
  /** Resolves once the send queues are low again (always after yielding to the event loop once). */
  drain(): Promise<void>;
  /** Waits (bounded) for queued datagrams to leave, then releases the sockets. */
  close(): Promise<void>;
}

export interface UdpSenderOptions {
  /** Sockets (source ports) per address family: 16 by default. */
  socketsPerFamily?: number;
  /** Bytes queued in user space across one family's sockets before sends are refused: 4 MiB by default. */
  maxQueueBytes?: number;
  bindAddress4?: string;
  bindAddress6?: string;
  /** How long drain() and close() wait for queues at most: 2000 ms by default. */
  waitTimeoutMs?: number;
}

const DEFAULTS = { socketsPerFamily: 16, maxQueueBytes: 4 << 20, waitTimeoutMs: 2000 };

/**
 * RFC 7348 wants the outer UDP source port to be a hash of the inner flow, so that the
 * network spreads flows and keeps each one on one path. With ordinary (not raw) sockets the
 * source port is the socket's bound port, so we keep a small pool of sockets bound to
 * ephemeral ports per address family and pick the socket by the flow hash: one flow always
 * leaves from one source port and different flows spread over the pool.
 *
 * The user-space send queue of each socket is bounded (maxQueueBytes split over the pool):
 * when it is full a datagram is refused rather than queued, so memory never grows without
 * bound when the destination or the kernel cannot keep up.
 */
export class UdpSocketPool implements DatagramSender {
  private readonly ports = new Map<Socket, number>();
  readonly localPorts = new Set<number>();

  private constructor(
    private readonly pools: Record<4 | 6, Socket[]>,
    private readonly perSocketBytes: number,
    private readonly waitTimeoutMs: number,
  ) {
    for (const socket of [...pools[4], ...pools[6]]) {
      this.ports.set(socket, socket.address().port);
      this.localPorts.add(socket.address().port);
    }
  }

  static async open(opts: UdpSenderOptions = {}): Promise<UdpSocketPool> {
    const count = Math.max(1, Math.floor(opts.socketsPerFamily ?? DEFAULTS.socketsPerFamily));
    const maxQueue = opts.maxQueueBytes ?? DEFAULTS.maxQueueBytes;
    const v4 = await bindPool('udp4', opts.bindAddress4 ?? '0.0.0.0', count);
    // A host without IPv6 still mirrors to IPv4 destinations: an empty pool refuses IPv6 sends.
    const v6 = await bindPool('udp6', opts.bindAddress6 ?? '::', count).catch(() => []);
    return new UdpSocketPool(
      { 4: v4, 6: v6 },
      Math.ceil(maxQueue / count),
      opts.waitTimeoutMs ?? DEFAULTS.waitTimeoutMs,
    );
  }

  send(
    datagram: Uint8Array,
    to: ResolvedEndpoint,
    hash: number,
    onSent: (err: Error | null) => void,
  ): number {
    const pool = this.pools[to.family];
    if (pool.length === 0) return SEND_NO_SOCKET;
    const socket = pool[(hash >>> 0) % pool.length];
    if (socket.getSendQueueSize() + datagram.length > this.perSocketBytes) return SEND_QUEUE_FULL;
    socket.send(datagram, to.port, to.host, onSent);
    return SEND_OK;
  }

  sourcePort(family: 4 | 6, hash: number): number {
    const pool = this.pools[family];
    return pool.length === 0 ? 0 : (this.ports.get(pool[(hash >>> 0) % pool.length]) ?? 0);
  }

  drain(): Promise<void> {
    return this.waitUntil((s) => s.getSendQueueSize() <= this.perSocketBytes / 4);
  }

  async close(): Promise<void> {
    await this.waitUntil((s) => s.getSendQueueCount() === 0);
    const sockets = [...this.ports.keys()];
    this.ports.clear();
    this.pools[4] = [];
    this.pools[6] = [];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** Yields once, then polls every millisecond until every socket passes or the timeout ends. */
  private async waitUntil(ok: (s: Socket) => boolean): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const deadline = Date.now() + this.waitTimeoutMs;
    const all = () => [...this.pools[4], ...this.pools[6]].every(ok);
    while (!all() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function bindPool(type: 'udp4' | 'udp6', address: string, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i++) sockets.push(await bindOne(type, address));
    return sockets;
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
}

function bindOne(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type, ipv6Only: type === 'udp6' });
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind({ port: 0, address }, () => {
      socket.off('error', fail);
      // Send errors reach the per-send callback; this keeps stray socket errors from crashing the process.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
