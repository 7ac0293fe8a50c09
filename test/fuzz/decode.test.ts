import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { decodePacket, defaultRegistry, linkTypeNext, MAX_LAYERS } from '../../src/decode/index.js';
import { layersToJson } from '../../src/decode/describe.js';
import { layerTraceLines } from '../../src/decode/describe.js';
import { formatPacketLine, summarizePacket } from '../../src/decode/summary.js';
import type { LayerDecoder } from '../../src/decode/layer.js';
import { decodeArp } from '../../src/decode/arp.js';
import { decodeEthernet } from '../../src/decode/ethernet.js';
import { decodeIcmp, decodeIcmpv6 } from '../../src/decode/icmp.js';
import { decodeAh, decodeEsp } from '../../src/decode/ipsec.js';
import { decodeIpv4 } from '../../src/decode/ipv4.js';
import { decodeIpv6 } from '../../src/decode/ipv6.js';
import {
  decodeIpv6DestOptions,
  decodeIpv6Fragment,
  decodeIpv6HopByHop,
  decodeIpv6Routing,
} from '../../src/decode/ipv6ext.js';
import { decodeLoop, decodeNull } from '../../src/decode/null.js';
import { decodeRaw } from '../../src/decode/raw.js';
import { decodeSctp } from '../../src/decode/sctp.js';
import { decodeSll, decodeSll2 } from '../../src/decode/sll.js';
import { decodeTcp } from '../../src/decode/tcp.js';
import { decodeUdp } from '../../src/decode/udp.js';
import { decodeVlan8021ad, decodeVlan8021Q, decodeVlan9100 } from '../../src/decode/vlan.js';
import { decodeVxlan } from '../../src/decode/vxlan.js';
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

const DECODERS: LayerDecoder[] = [
  decodeArp,
  decodeEthernet,
  decodeIcmp,
  decodeIcmpv6,
  decodeAh,
  decodeEsp,
  decodeIpv4,
  decodeIpv6,
  decodeIpv6DestOptions,
  decodeIpv6Fragment,
  decodeIpv6HopByHop,
  decodeIpv6Routing,
  decodeLoop,
  decodeNull,
  decodeRaw,
  decodeSctp,
  decodeSll,
  decodeSll2,
  decodeTcp,
  decodeUdp,
  decodeVlan8021ad,
  decodeVlan8021Q,
  decodeVlan9100,
  decodeVxlan,
];

test('a frame inside a larger buffer (from `base` on) decodes as the frame alone does, at any offset', () => {
  const sample = corpusSample();
  const placement = fc.record({
    decode: fc.constantFrom(...DECODERS),
    index: fc.nat({ max: sample.length - 1 }),
    from: fc.nat(),
    cut: fc.nat(),
    before: fc.uint8Array({ maxLength: 64 }),
    after: fc.uint8Array({ maxLength: 64 }),
  });
  fc.assert(
    fc.property(placement, ({ decode, index, from, cut, before, after }) => {
      const frame = sample[index].data;
      const offset = from % (frame.length + 1);
      const end = frame.length - (cut % (frame.length - offset + 1));
      const buffer = new Uint8Array([...before, ...frame, ...after]);
      assert.deepEqual(decode(buffer, offset, end, before.length), decode(frame, offset, end));
    }),
    { numRuns },
  );
});

test('every layer of every corpus packet decodes in place inside a larger buffer as it does alone', () => {
  const before = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
  for (const path of corpusCaptures()) {
    const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
    for (const r of records) {
      const frame = r.data;
      const buffer = new Uint8Array([...before, ...frame, ...before]);
      let next = linkTypeNext(r.linkType);
      let offset = 0;
      let end = frame.length;
      for (let depth = 0; depth < MAX_LAYERS; depth++) {
        const decode = defaultRegistry.lookup(next);
        if (decode === undefined) break;
        const layer = decode(frame, offset, end);
        assert.deepEqual(decode(buffer, offset, end, before.length), layer, `${path}: ${layer.kind}`);
        if (layer.next === null) break;
        ({ next, payloadOffset: offset, payloadEnd: end } = layer);
      }
    }
  }
});
