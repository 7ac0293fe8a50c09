import type { ByteMeter } from '../types.js';

/** What one exchange waiting for its answer costs on the heap beyond the bytes copied for it, by estimate. */
export interface ExchangeCost {
  /** Its own objects (the exchange, its sides, collections and flags), whatever it parsed. */
  perExchange: number;
  /** Its parsed heads or messages (field objects and strings), per wire byte parsed. */
  perParsedByte: number;
}

/**
 * Declares to a stream's meter what its exchanges waiting for answers cost on the heap: a
 * parsed message is several times its wire size, and a pipelined or multiplexed stream may
 * keep a thousand of them. The flow's own estimate (FlowTable tcpFlowBytes,
 * datagramFlowBytes) was measured with one exchange waiting, so the fixed cost counts from
 * the second exchange on; what they parsed counts from the first byte.
 */
export class WaitingExchanges {
  private count = 0;

  constructor(
    readonly meter: ByteMeter,
    private readonly cost: ExchangeCost,
  ) {}

  /** An exchange starts waiting, with `wireBytes` parsed; returns what those were declared to cost. */
  opened(wireBytes = 0): number {
    if (this.count++ > 0) this.meter.hold(this.cost.perExchange);
    return this.parsed(wireBytes);
  }

  /** `wireBytes` more of a waiting exchange were parsed; returns what they were declared to cost. */
  parsed(wireBytes: number): number {
    const declared = Math.ceil(wireBytes * this.cost.perParsedByte);
    if (declared !== 0) this.meter.hold(declared);
    return declared;
  }

  /** An exchange stops waiting; `declared` is the sum of what opened() and parsed() returned for it. */
  closed(declared: number): void {
    if (--this.count > 0) this.meter.hold(-this.cost.perExchange);
    if (declared !== 0) this.meter.hold(-declared);
  }
}
