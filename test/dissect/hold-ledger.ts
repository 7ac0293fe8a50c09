import assert from 'node:assert/strict';

/** Follows what a dissector says it keeps (StreamContext.hold), so tests can check the account. */
export class HoldLedger {
  held = 0;
  peak = 0;
  /** Set when the dissector released more than it had declared. */
  negative = false;

  readonly hold = (delta: number): void => {
    this.held += delta;
    if (this.held < 0) this.negative = true;
    if (this.held > this.peak) this.peak = this.held;
  };

  /**
   * After end(): what the dissector declared went back to zero and never below. It may run
   * ahead of the input only as the estimates allow: parsed messages at up to 9 bytes a wire
   * byte, twice over for one call while a kept partial message overlaps what it becomes, and
   * up to 2 KiB for each exchange waiting (`maxWaiting` of them at most); `fixed` adds state
   * bounded by a limit rather than by the input (HPACK tables).
   */
  assertBalanced(fed: number, maxWaiting: number, fixed = 0): void {
    assert.equal(this.negative, false, 'released more than was declared');
    assert.equal(this.held, 0, 'still declared after end()');
    const bound = 2 * 9 * fed + 2048 * maxWaiting + fixed;
    assert.ok(this.peak <= bound, `declared ${this.peak} bytes for ${fed} bytes of input`);
  }
}
