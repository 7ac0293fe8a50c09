import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { decodePacket, MAX_LAYERS } from '../../src/decode/index.js';
import { layersToJson } from '../../src/decode/describe.js';
import { layerTraceLines } from '../../src/decode/describe.js';
import { formatPacketLine, summarizePacket } from '../../src/decode/summary.js';
import { corpusCaptures } from '../helpers/corpus.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 253];

/** Decodes and checks the layer contract: ranges inside the input, bounded depth, printers never throw. */
function checkPacket(data: Uint8Array, linkType: number): void {
  const layers = decodePacket(data, linkType);
  assert.ok(layers.length <= MAX_LAYERS + 1);
  for (const layer of layers) {
    assert.ok(layer.offset >= 0 && layer.offset <= data.length, `${layer.kind} offset ${layer.offset}`);
    assert.ok(layer.payloadOffset >= layer.offset, `${layer.kind} payloadOffset`);
    assert.ok(layer.payloadEnd >= layer.payloadOffset, `${layer.kind} payload range`);
    assert.ok(
      layer.payloadEnd <= data.length,
      `${layer.kind} payloadEnd ${layer.payloadEnd} > ${data.length}`,
    );
    assert.ok(layer.offset + layer.headerLength <= data.length, `${layer.kind} header`);
    layerTraceLines(layer, data);
  }
  layersToJson(layers, data);
  summarizePacket(layers, data);
  formatPacketLine({ data, origLen: data.length, tsSec: 0, tsNsec: 0, linkType, interfaceId: 0 }, layers);
}

test('random bytes under every link type: never throws, ranges stay inside the input', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), (linkType, data) => {
      checkPacket(data, linkType);
    }),
    { numRuns },
  );
});

/** A sample of real packets (first few per capture), to mutate. */
function corpusSample(): { data: Uint8Array; linkType: number }[] {
  const sample: { data: Uint8Array; linkType: number }[] = [];
  for (const path of corpusCaptures()) {
    const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
    for (const r of records.slice(0, 6)) sample.push({ data: r.data.slice(), linkType: r.linkType });
  }
  return sample;
}

test('mutated corpus packets: flipped bytes, truncation, and other link types', () => {
  const sample = corpusSample();
  assert.ok(sample.length > 100);
  const mutation = fc.record({
    index: fc.nat({ max: sample.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.nat(),
    otherLinkType: fc.option(fc.constantFrom(...LINK_TYPES)),
  });
  fc.assert(
    fc.property(mutation, ({ index, flips, cut, otherLinkType }) => {
      const { data: original, linkType } = sample[index];
      const data = original.slice(0, original.length ? original.length - (cut % (original.length + 1)) : 0);
      for (const [at, value] of flips) if (data.length) data[at % data.length] = value;
      checkPacket(data, otherLinkType ?? linkType);
    }),
    { numRuns },
  );
});

test('every corpus packet decodes within the contract', () => {
  for (const path of corpusCaptures()) {
    const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
    for (const r of records) checkPacket(r.data, r.linkType);
  }
});
