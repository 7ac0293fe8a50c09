import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketClock } from '../../src/flow/packet-clock.js';

const HOUR = 3600e6;

test('the clock follows packet time forward, never back', () => {
  const c = new PacketClock(HOUR);
  c.observe(1000);
  c.observe(500);
  c.observe(Number.NaN);
  assert.equal(c.nowUs, 1000);
  c.observe(2000);
  assert.equal(c.nowUs, 2000);
  assert.equal(c.realUs, 2000);
});

test('a lone absurd jump is ignored; a confirmed one re-bases without time passing for flows', () => {
  const c = new PacketClock(HOUR);
  c.observe(1_422_527_998e6);
  c.observe(2_894_531_997e6); // one frame dated 2061 in a 2015 capture
  c.observe(1_422_527_999e6);
  assert.equal(c.nowUs, 1_422_527_999e6);
  assert.equal(c.ignoredJumps, 1);
  c.observe(1_608_102_334e6); // another interface's clock, years ahead...
  c.observe(1_608_102_335e6); // ...confirmed by the next packet
  assert.equal(c.realUs, 1_608_102_335e6);
  assert.equal(c.nowUs, 1_422_527_999e6);
  c.observe(1_608_102_345e6); // ten seconds later
  assert.equal(c.nowUs, 1_422_528_009e6);
});
