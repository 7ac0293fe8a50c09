import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

/** What a test TCP server saw on one connection. */
export interface Connection {
  socket: Socket;
  /** Every chunk as it arrived, and when (performance.now()). */
  chunks: Buffer[];
  times: number[];
  /** Bytes received so far. */
  total: number;
  /** Scratch state for the server's handler (e.g. the next turn it answers). */
  turn: number;
}

export interface TestTcpServer {
  port: number;
  connections: Connection[];
  /** Most connections open at the same time. */
  maxActive: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 (ephemeral port) that counts connections and calls onData per chunk. */
export async function startTcpServer(
  onData: (conn: Connection, chunk: Buffer) => void,
  onConnect: (conn: Connection) => void = () => {},
): Promise<TestTcpServer> {
  const connections: Connection[] = [];
  let active = 0;
  const state = { maxActive: 0 };
  const server: Server = createServer((socket) => {
    const conn: Connection = { socket, chunks: [], times: [], total: 0, turn: 0 };
    connections.push(conn);
    active++;
    state.maxActive = Math.max(state.maxActive, active);
    socket.on('close', () => active--);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      conn.chunks.push(chunk);
      conn.times.push(performance.now());
      conn.total += chunk.length;
      onData(conn, chunk);
    });
    onConnect(conn);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    connections,
    get maxActive() {
      return state.maxActive;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A turn-by-turn server: it knows where each client message ends (cumulative byte counts)
 * and answers message k with replies[k] (after delayMs) once all of it arrived. A client that
 * waits for answers never lets a chunk run past a message end, which `crossed` records.
 */
export async function startTurnServer(
  messageEnds: number[],
  replies: Buffer[],
  delayMs = 0,
): Promise<TestTcpServer & { crossed: () => number }> {
  let crossed = 0;
  const server = await startTcpServer((conn) => {
    while (conn.turn < messageEnds.length && conn.total >= messageEnds[conn.turn]) {
      if (conn.total > messageEnds[conn.turn]) crossed++;
      const reply = replies[conn.turn++];
      const send = (): boolean => !conn.socket.destroyed && conn.socket.write(reply);
      if (delayMs > 0) setTimeout(send, delayMs);
      else send();
    }
  });
  return Object.assign(server, { crossed: () => crossed });
}

/** Cumulative end offsets of a list of messages. */
export function messageEnds(messages: readonly Uint8Array[]): number[] {
  let sum = 0;
  return messages.map((m) => (sum += m.length));
}

export interface TestUdpServer {
  port: number;
  datagrams: Buffer[];
  close(): Promise<void>;
}

/** A UDP server on 127.0.0.1 recording each datagram; reply(i) (if not null) is sent back for datagram i. */
export async function startUdpServer(
  reply: (index: number, msg: Buffer) => Buffer | null,
): Promise<TestUdpServer> {
  const socket = createSocket('udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (msg, rinfo) => {
    const answer = reply(datagrams.length, msg);
    datagrams.push(msg);
    if (answer !== null) socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    datagrams,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A port nothing listens on: bound by a server that is then closed. */
export async function closedPort(): Promise<number> {
  const server = await startTcpServer(() => {});
  const port = server.port;
  await server.close();
  return port;
}
