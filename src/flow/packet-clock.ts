/**
 * The flow table's notion of "now", driven by packet timestamps so that timeouts follow the
 * capture, not the wall clock. Real captures hold absurd timestamps (a frame dated 2061
 * between two from 2015; an interface whose clock is decades off): trusting them would expire
 * every flow at once. So `nowUs` only advances by believable steps (at most `maxJumpUs`); a
 * larger jump, forward or back, is ignored unless the next packet confirms it, and then the
 * clock re-bases on it without letting time pass for the flows. In an ordinary capture
 * `nowUs` equals the latest packet timestamp.
 */
export class PacketClock {
  /** Table time: the sum of believable steps, starting at the first timestamp. */
  nowUs = -Infinity;
  /** The latest believed packet timestamp. */
  realUs = -Infinity;
  /** Jumps not (yet) believed. */
  ignoredJumps = 0;
  private candidateUs = Number.NaN;

  constructor(readonly maxJumpUs: number) {}

  observe(tsUs: number): void {
    if (Number.isNaN(tsUs)) return;
    if (this.realUs === -Infinity) {
      this.nowUs = this.realUs = tsUs;
      return;
    }
    const step = tsUs - this.realUs;
    if (Math.abs(step) <= this.maxJumpUs) {
      if (step > 0) {
        this.nowUs += step;
        this.realUs = tsUs;
      }
      this.candidateUs = Number.NaN;
    } else if (Math.abs(tsUs - this.candidateUs) <= this.maxJumpUs) {
      this.realUs = tsUs; // confirmed: the capture's clock moved, the flows' time did not
      this.candidateUs = Number.NaN;
    } else {
      this.candidateUs = tsUs;
      this.ignoredJumps++;
    }
  }
}
