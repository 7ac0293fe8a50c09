import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { captureLoopback } from './capture.js';
import { messageEnds, startTurnServer, startUdpServer } from './servers.js';

/**
 * Plays a turn-by-turn TCP exchange on loopback (client sends message k, waits for all of
 * reply k, sends k+1) and captures it with tcpdump. Resolves to the pcap, or null when
 * tcpdump cannot capture here.
 */
export async function captureTcpExchange(
  dir: string,
  name: string,
  messages: readonly Buffer[],
  replies: readonly Buffer[],
): Promise<string | null> {
  const server = await startTurnServer(messageEnds(messages), [...replies]);
  try {
    return await captureLoopback(dir, name, `tcp port ${server.port}`, () =>
      tcpClient(server.port, messages, replies),
    );
  } finally {
    await server.close();
  }
}

async function tcpClient(
  port: number,
  messages: readonly Buffer[],
  replies: readonly Buffer[],
): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = 0;
  let waiting: { until: number; resolve: () => void } | null = null;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (waiting !== null && received >= waiting.until) waiting.resolve();
  });
  let expected = 0;
  for (let i = 0; i < messages.length; i++) {
    expected += replies[i].length;
    const until = expected;
    const answered = new Promise<void>((resolve) => (waiting = { until, resolve }));
    socket.write(messages[i]);
    if (received < until) await within(5000, answered);
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Sends datagrams one by one (each answered by "ack <i>") and captures the exchange. */
export async function captureUdpExchange(
  dir: string,
  name: string,
  datagrams: readonly Buffer[],
): Promise<string | null> {
  const server = await startUdpServer((i) => Buffer.from(`ack ${i}`));
  try {
    return await captureLoopback(dir, name, `udp port ${server.port}`, async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.connect(server.port, '127.0.0.1', resolve));
      for (const d of datagrams) {
        const answered = new Promise((resolve) => socket.once('message', resolve));
        socket.send(d);
        await within(5000, answered);
      }
      socket.close();
    });
  } finally {
    await server.close();
  }
}

/** The promise, or a rejection after `ms`: a lost packet must fail the test, not hang it. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
