import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { REPLAY_ERROR_CODES as E, ReplayError, socketError } from './errors.js';
import type { Inbox } from './inbox.js';
import type { ResolvedTarget } from './target.js';

/** One run's fresh connection (TCP) or connected socket (UDP) to the target. */
export interface ReplayChannel {
  /** Sends one message (one write, or one datagram); resolves once the kernel took it, within timeoutMs. */
  send(bytes: Uint8Array, timeoutMs: number): Promise<void>;
  /** Ends the conversation (TCP: FIN, then up to graceMs for the peer's close) and frees the socket. */
  close(graceMs: number): Promise<void>;
}

export type ChannelOpener = (
  target: ResolvedTarget,
  inbox: Inbox,
  timeoutMs: number,
) => Promise<ReplayChannel>;

/** Settles a promise at most once, with a timer that fails it with `onTimeout()`. */
function bounded<T>(
  timeoutMs: number,
  onTimeout: () => ReplayError,
  start: (ok: (v: T) => void, fail: (e: ReplayError) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => settle(() => reject(onTimeout())), timeoutMs);
    const settle = (f: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      f();
    };
    start(
      (v) => settle(() => resolve(v)),
      (e) => settle(() => reject(e)),
    );
  });
}

function sendTimeout(): ReplayError {
  return new ReplayError(E.TIMEOUT, 'the target did not take the message in time', { phase: 'send' });
}

/** Gives up a connection attempt (`abandon` frees the socket) with REPLAY_CONNECT_TIMEOUT. */
function connectTimeout(target: ResolvedTarget, abandon: () => void): ReplayError {
  abandon();
  return new ReplayError(E.CONNECT_TIMEOUT, `no connection to ${target.address}:${target.port} in time`, {
    phase: 'connect',
  });
}

/** A socket's 'error' handler: the failure goes to the run's inbox and to the pending open. */
function reportTo(inbox: Inbox, fail: (e: ReplayError) => void, phase: () => string): (err: Error) => void {
  return (err) => {
    const error = socketError(err, phase());
    inbox.fail(error);
    fail(error);
  };
}

class TcpChannel implements ReplayChannel {
  constructor(private readonly socket: Socket) {}

  send(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    return bounded(timeoutMs, sendTimeout, (ok, fail) => {
      this.socket.write(bytes, (err) => (err ? fail(socketError(err, 'send')) : ok()));
    });
  }

  async close(graceMs: number): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    const timer = setTimeout(() => socket.destroy(), graceMs);
    await closed;
    clearTimeout(timer);
  }
}

/** Connects a new TCP socket (Nagle off, so each message leaves as soon as it is written). */
export const openTcpChannel: ChannelOpener = (target, inbox, timeoutMs) => {
  const socket = connect({ host: target.address, port: target.port, family: target.family, noDelay: true });
  let connected = false;
  socket.on('data', (chunk: Buffer) => inbox.push(chunk));
  socket.on('end', () => inbox.peerClosed());
  socket.on('close', () => inbox.peerClosed());
  return bounded<ReplayChannel>(
    timeoutMs,
    () => connectTimeout(target, () => socket.destroy()),
    (ok, fail) => {
      socket.on(
        'error',
        reportTo(inbox, fail, () => (connected ? 'connection' : 'connect')),
      );
      socket.once('connect', () => {
        connected = true;
        ok(new TcpChannel(socket));
      });
    },
  );
};

class UdpChannel implements ReplayChannel {
  private closed = false;

  constructor(private readonly socket: DgramSocket) {}

  send(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    return bounded(timeoutMs, sendTimeout, (ok, fail) => {
      this.socket.send(bytes, (err) => (err ? fail(socketError(err, 'send')) : ok()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/**
 * A UDP socket connected to the target: it receives only the target's datagrams, and the
 * kernel reports an ICMP port unreachable as ECONNREFUSED (REPLAY_CONNECT_REFUSED).
 */
export const openUdpChannel: ChannelOpener = (target, inbox, timeoutMs) => {
  const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
  socket.on('message', (msg: Buffer) => inbox.push(msg));
  return bounded<ReplayChannel>(
    timeoutMs,
    () => connectTimeout(target, () => socket.close()),
    (ok, fail) => {
      socket.on(
        'error',
        reportTo(inbox, fail, () => 'udp'),
      );
      socket.connect(target.port, target.address, () => ok(new UdpChannel(socket)));
    },
  );
};
