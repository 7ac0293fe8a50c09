import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { GraphPacket } from '../../src/graph/packet.js';
import { directionByMac } from '../../src/mirror/direction.js';
import { buildMirrorGraph, type MirrorGraphHandle } from '../../src/mirror/mirror-graph.js';
import { CidrMatcher } from '../../src/mirror/rule-match.js';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { CAPTURE_INPUT } from '../../src/pipeline/read-graph.js';
import { corpusCaptures } from '../helpers/corpus.js';
import { filter, rule, session } from '../mirror/packets.js';
import { RecordingSender } from '../mirror/recording-sender.js';

/**
 * The mirror data path never throws on what captures contain: random bytes and mutated
 * corpus packets under every link type go through classify → truncate → encap → output,
 * and every datagram is a VXLAN header plus at most the session's packet length.
 * Inputs that once failed go to test/fixtures/regress/mirror/ (none so far).
 */
const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const seedEnv = process.env.MESHTAP_FUZZ_SEED ?? '20261121';
const seed = seedEnv === 'random' ? {} : { seed: Number(seedEnv) };
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 253];

/** Collects everything of both families (outbound and inbound) with a packet length per run. */
async function graphWith(
  packetLength: number,
): Promise<{ handle: MirrorGraphHandle; sender: RecordingSender }> {
  const sender = new RecordingSender();
  const rules = (direction: 'inbound' | 'outbound') => [
    rule(1, 'DoNotCollect', 'TCP', '0.0.0.0/0', '10.0.0.0/8', { dst: { from: 1, to: 1023 } }, direction),
    rule(2, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0', {}, direction),
    rule(3, 'Collect', 'UDP', '::/0', 'fe80::/65', { src: { from: 0, to: 40000 } }, direction),
    rule(4, 'Collect', 'ALL', '::/0', '::/0', {}, direction),
  ];
  const handle = await buildMirrorGraph({
    directionOf: directionByMac([Uint8Array.of(0, 0x11, 0x22, 0x33, 0x44, 0x55)]),
    sender,
    sessions: [
      {
        session: session(1, 1, 1, { packetLength, destination: { kind: 'group', members: member(2) } }),
        filter: filter(1, [...rules('outbound'), ...rules('inbound')]),
      },
    ],
  });
  return { handle, sender };
}

function member(count: number) {
  return Array.from({ length: count }, (_, i) => ({ host: '127.0.0.1', port: 4789 + i }));
}

function run(
  handle: MirrorGraphHandle,
  sender: RecordingSender,
  packets: Array<{ data: Uint8Array; linkType: number }>,
  packetLength: number,
): void {
  sender.sent.length = 0;
  const vector = packets.map((p, i) =>
    GraphPacket.fromRecord(i, {
      data: p.data,
      origLen: p.data.length,
      tsSec: 0,
      tsNsec: 0,
      linkType: p.linkType,
      interfaceId: 0,
    }),
  );
  handle.graph.inject(CAPTURE_INPUT, vector);
  for (const { datagram } of sender.sent) {
    assert.ok(datagram.length <= 8 + packetLength, `${datagram.length} > 8 + ${packetLength}`);
    assert.ok(datagram.length > 8);
    assert.deepEqual([...datagram.subarray(0, 4)], [0x08, 0, 0, 0]);
    assert.equal(datagram[7], 0);
  }
  assert.ok(sender.sent.length <= packets.length);
}

const packetLength = fc.integer({ min: 64, max: 8500 });

test('random bytes under every link type: the mirror path never throws, datagrams stay in bounds', async () => {
  const graphs = new Map<number, { handle: MirrorGraphHandle; sender: RecordingSender }>();
  const packet = fc.record({
    data: fc.uint8Array({ maxLength: 300 }),
    linkType: fc.constantFrom(...LINK_TYPES),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(64, 100, 1500),
      fc.array(packet, { minLength: 1, maxLength: 8 }),
      async (length, packets) => {
        const g = graphs.get(length) ?? (await graphWith(length));
        graphs.set(length, g);
        run(g.handle, g.sender, packets, length);
      },
    ),
    { numRuns, ...seed },
  );
});

/** A sample of real packets (the first few of every capture), to mutate. */
function corpusSample(): Array<{ data: Uint8Array; linkType: number }> {
  const sample: Array<{ data: Uint8Array; linkType: number }> = [];
  for (const path of corpusCaptures()) {
    const { records } = readCaptureBuffer(new Uint8Array(readFileSync(path)));
    for (const r of records.slice(0, 6)) sample.push({ data: r.data.slice(), linkType: r.linkType });
  }
  return sample;
}

test('mutated corpus packets: mirrored within bounds, exactly once or dropped with a reason', async () => {
  const sample = corpusSample();
  const mutation = fc.record({
    index: fc.nat({ max: sample.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.nat(),
    otherLinkType: fc.option(fc.constantFrom(...LINK_TYPES)),
    length: packetLength,
  });
  await fc.assert(
    fc.asyncProperty(mutation, async ({ index, flips, cut, otherLinkType, length }) => {
      const { data: original, linkType } = sample[index];
      const data = original.slice(0, original.length - (cut % (original.length + 1)));
      for (const [at, value] of flips) if (data.length) data[at % data.length] = value;
      const { handle, sender } = await graphWith(length);
      run(handle, sender, [{ data, linkType: otherLinkType ?? linkType }], length);
      const dropped = [...handle.graph.errors.values()].reduce((a, b) => a + b, 0);
      assert.equal(sender.sent.length + dropped, 1);
      const c = handle.counters(1);
      assert.equal(c?.mirrored, sender.sent.length);
      assert.equal(c?.sentBytes, sender.sent[0]?.datagram.length ?? 0);
    }),
    { numRuns, ...seed },
  );
});

/** Bit i (0 = most significant) of a byte array. */
const bit = (bytes: number[], i: number) => (bytes[i >> 3] >> (7 - (i & 7))) & 1;

test('CIDR matching agrees with a bit-by-bit prefix comparison (IPv4 and IPv6)', () => {
  const v6 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(v6, v6, fc.integer({ min: 0, max: 128 }), fc.boolean(), (net, addr, prefix, family4) => {
      const bits = family4 ? 32 : 128;
      const p = prefix % (bits + 1);
      const netBytes = family4 ? net.slice(0, 4) : net;
      const addrBytes = family4 ? addr.slice(0, 4) : addr;
      // Sometimes copy the network prefix into the address, so matches are not rare.
      if (addr[0] % 2 === 0)
        for (let i = 0; i < p; i++)
          if (bit(addrBytes, i) !== bit(netBytes, i)) addrBytes[i >> 3] ^= 1 << (7 - (i & 7));
      let want = true;
      for (let i = 0; i < p; i++) if (bit(addrBytes, i) !== bit(netBytes, i)) want = false;
      const text = family4 ? `${netBytes.join('.')}/${p}` : `${groups(netBytes)}/${p}`;
      const m = new CidrMatcher(text);
      const got = family4
        ? m.matches4(((addrBytes[0] << 24) | (addrBytes[1] << 16) | (addrBytes[2] << 8) | addrBytes[3]) >>> 0)
        : m.matches6(Uint8Array.from(addrBytes), 0);
      assert.equal(got, want, `${text} vs ${addrBytes.join(',')}`);
    }),
    { numRuns: numRuns * 10, ...seed },
  );
});

function groups(bytes: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < 16; i += 2) out.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return out.join(':');
}
