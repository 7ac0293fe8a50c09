import { SEND_OK, type DatagramSender, type ResolvedEndpoint } from '../../src/mirror/udp-sender.js';

/** Records datagrams instead of sending them; can be told to refuse. */
export class RecordingSender implements DatagramSender {
  readonly sent: Array<{ datagram: Uint8Array; to: ResolvedEndpoint; hash: number }> = [];
  outcome = SEND_OK;
  readonly localPorts = new Set<number>([40000]);

  send(datagram: Uint8Array, to: ResolvedEndpoint, hash: number): number {
    if (this.outcome === SEND_OK) this.sent.push({ datagram, to, hash });
    return this.outcome;
  }
  sourcePort(): number {
    return 40000;
  }
  async drain(): Promise<void> {}
  async close(): Promise<void> {}
}
