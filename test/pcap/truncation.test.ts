import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { corpusCaptures } from '../helpers/corpus.js';
import { CAPTURE_ERROR_CODES as E, readCaptureBuffer } from '../../src/pcap/index.js';
import { walkUnits } from './unit-walk.js';

/** Files up to this size are cut at every offset; larger ones at this many evenly spread offsets plus every unit edge ±1. */
const EVERY_OFFSET_LIMIT = 2048;
const SAMPLES = 100;

function cutOffsets(size: number, unitStarts: number[]): number[] {
  if (size <= EVERY_OFFSET_LIMIT) return Array.from({ length: size }, (_, i) => i);
  const cuts = new Set<number>();
  for (let i = 0; i < SAMPLES; i++) cuts.add(Math.floor((i * size) / SAMPLES));
  for (const s of unitStarts.slice(0, 100))
    for (const d of [-1, 0, 1, 13]) if (s + d > 0 && s + d < size) cuts.add(s + d);
  return [...cuts].sort((a, b) => a - b);
}

describe('truncated corpus files', () => {
  for (const path of corpusCaptures()) {
    const full = readFileSync(path);
    const whole = readCaptureBuffer(full);
    // Only files that read cleanly have a well-defined "complete records before the cut".
    if (whole.error !== null) continue;
    test(basename(path), () => {
      const map = walkUnits(full);
      const isPcapng = whole.format === 'pcapng';
      for (const cut of cutOffsets(full.length, map.unitStarts)) {
        const got = readCaptureBuffer(full.subarray(0, cut));
        const complete = map.packetEnds.filter((end) => end <= cut).length;
        assert.equal(got.records.length, complete, `cut at ${cut}: records`);
        const lastStart = [0, map.headerEnd, ...map.unitStarts].filter((s) => s <= cut).pop()!;
        const atBoundary =
          cut === map.headerEnd || map.unitStarts.includes(cut) || map.packetEnds.includes(cut);
        if (cut < 4) {
          assert.equal(got.error?.code, E.PCAP_BAD_MAGIC, `cut at ${cut}`);
        } else if (!isPcapng && cut < 24) {
          assert.equal(got.error?.code, E.PCAP_TRUNCATED_HEADER, `cut at ${cut}`);
        } else if (atBoundary && cut !== 0) {
          assert.equal(got.error, null, `cut at ${cut} is on a unit boundary`);
        } else {
          assert.equal(
            got.error?.code,
            isPcapng ? E.PCAPNG_TRUNCATED_BLOCK : E.PCAP_TRUNCATED_RECORD,
            `cut at ${cut}`,
          );
          assert.equal(got.error?.offset, lastStart, `cut at ${cut}: error offset`);
        }
        got.records.forEach((r, i) => assert.deepEqual(r.data, whole.records[i].data));
      }
    });
  }
});
