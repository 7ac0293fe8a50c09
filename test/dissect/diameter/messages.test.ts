/**
 * Hand-built Diameter messages. The builder below writes the RFC 6733 layout directly
 * (header §3: version, 24-bit length, flags, 24-bit command code, application id, hop-by-hop,
 * end-to-end; AVP §4.1: code, flags, 24-bit length, optional vendor id, data padded to 4).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diameterDissector } from '../../../src/dissect/diameter/index.js';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { feed, splitOne, type Chunk } from '../dns/harness.js';

function avp(code: number, data: Buffer, vendorId?: number): Buffer {
  const headerLen = vendorId === undefined ? 8 : 12;
  const len = headerLen + data.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt32BE(code, 0);
  out.writeUInt32BE(len, 4); // the length fills the low 24 bits; the flags byte is written next
  out[4] = 0x40 | (vendorId === undefined ? 0 : 0x80); // M, and V with a vendor id
  if (vendorId !== undefined) out.writeUInt32BE(vendorId, 8);
  data.copy(out, headerLen);
  return out;
}

const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const str = (s: string): Buffer => Buffer.from(s, 'utf8');

function message(flags: number, code: number, app: number, hbh: number, e2e: number, avps: Buffer[]): Buffer {
  const body = Buffer.concat(avps);
  const out = Buffer.alloc(20 + body.length);
  out.writeUInt32BE(20 + body.length, 0);
  out[0] = 1;
  out.writeUInt32BE(code, 4);
  out[4] = flags;
  out.writeUInt32BE(app, 8);
  out.writeUInt32BE(hbh, 12);
  out.writeUInt32BE(e2e, 16);
  body.copy(out, 20);
  return out;
}

// CCR-I (R|P = 0xc0, code 272, app 4) with a grouped Subscription-Id (443) holding
// Subscription-Id-Type (450) = 1 (END_USER_IMSI) and Subscription-Id-Data (444).
const ccr = message(0xc0, 272, 4, 0x1234, 0x99, [
  avp(263, str('s;1')), // Session-Id, 3 bytes of data: padded by one byte
  avp(264, str('pcef.example')),
  avp(416, u32(1)),
  avp(415, u32(0)),
  avp(443, Buffer.concat([avp(450, u32(1)), avp(444, str('001010123456789'))])),
  avp(1032, u32(1004), 10415), // RAT-Type (3GPP) = EUTRAN
]);
// CCA (P = 0x40) with Result-Code (268) 2001.
const cca = message(0x40, 272, 4, 0x1234, 0x99, [avp(263, str('s;1')), avp(268, u32(2001))]);
// ULA (S6a, code 316) with Experimental-Result (297) { Vendor-Id 10415, Experimental-Result-Code 5001 }.
const ulr = message(0xc0, 316, 16777251, 7, 8, [avp(1, str('001010123456789'))]);
const ula = message(0x40, 316, 16777251, 7, 8, [
  avp(297, Buffer.concat([avp(266, u32(10415)), avp(298, u32(5001))])),
]);

type Obj = Record<string, unknown>;

function run(chunks: Chunk[]): { entries: EntryDraft[]; anomalies: string[] } {
  const whole = feed(diameterDissector, chunks, { server: { ip: 's', port: 3868 } });
  for (let i = 0; i < chunks.length; i++) {
    for (let at = 1; at < chunks[i].bytes.length; at++) {
      const split = feed(diameterDissector, splitOne(chunks, i, at), { server: { ip: 's', port: 3868 } });
      assert.deepEqual(split, whole, `chunk ${i} split at ${at}`);
    }
  }
  return whole;
}

describe('diameter messages', () => {
  test('CCR/CCA pair by hop-by-hop id; grouped AVPs, vendor AVPs, padding and names', () => {
    const { entries, anomalies } = run([
      { dir: 0, bytes: ccr, tsUs: 100 },
      { dir: 1, bytes: cca, tsUs: 150 },
    ]);
    assert.deepEqual(anomalies, []);
    assert.equal(entries.length, 1);
    const q = entries[0].request as Obj;
    const r = entries[0].response as Obj;
    assert.equal(q.command, 'Credit-Control-Request');
    assert.equal(q.commandAbbrev, 'CCR');
    assert.equal(q.application, 'Diameter Credit Control');
    assert.deepEqual(q.flags, { request: true, proxiable: true, error: false, retransmitted: false });
    assert.equal(q.hopByHopId, 0x1234);
    const map = q.avpMap as Obj;
    assert.equal(map['Session-Id'], 's;1');
    assert.equal(map['Origin-Host'], 'pcef.example');
    assert.equal(map['CC-Request-Type'], 1);
    assert.deepEqual(map['Subscription-Id'], {
      'Subscription-Id-Type': 1,
      'Subscription-Id-Data': '001010123456789',
    });
    assert.equal(map['RAT-Type'], 1004);
    const rat = (q.avps as Obj[]).find((a) => a.code === 1032)!;
    assert.equal(rat.vendorId, 10415);
    assert.equal(rat.valueName, 'EUTRAN');
    assert.equal(r.command, 'Credit-Control-Answer');
    assert.equal(r.resultCode, 2001);
    assert.equal(entries[0].elapsedUs, 50);
    assert.equal(entries[0].requestSize, ccr.length);
  });

  test('several messages in one segment; Experimental-Result-Code as the result', () => {
    const { entries } = run([
      { dir: 0, bytes: Buffer.concat([ulr, ccr]), tsUs: 1 },
      { dir: 1, bytes: Buffer.concat([cca, ula]), tsUs: 2 },
    ]);
    assert.deepEqual(
      entries.map((e) => [
        (e.request as Obj).commandAbbrev,
        (e.response as Obj).commandAbbrev,
        (e.response as Obj).resultCode,
      ]),
      [
        ['CCR', 'CCA', 2001],
        ['ULR', 'ULA', 5001],
      ],
    );
  });

  test('garbage before and between messages is skipped with one anomaly each time', () => {
    const junk = Buffer.from('\x01\x00\x00\x07garbage that is not diameter\x01\x01');
    const { entries, anomalies } = run([
      { dir: 0, bytes: Buffer.concat([junk, ccr, junk, ulr]), tsUs: 1 },
      { dir: 1, bytes: Buffer.concat([cca, ula]), tsUs: 2 },
    ]);
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.request && e.response));
    assert.deepEqual(anomalies, ['diameter.bad_header', 'diameter.bad_header']);
  });

  test('a request from the server side pairs with the client answer; unanswered requests are emitted at end()', () => {
    const dwr = message(0x80, 280, 0, 42, 43, [avp(264, str('peer'))]);
    const dwa = message(0x00, 280, 0, 42, 43, [avp(268, u32(2001))]);
    const { entries } = run([
      { dir: 1, bytes: dwr, tsUs: 1 },
      { dir: 0, bytes: Buffer.concat([dwa, ccr]), tsUs: 2 },
    ]);
    assert.equal((entries[0].request as Obj).command, 'Device-Watchdog-Request');
    assert.equal(entries[0].src.port, 3868);
    assert.deepEqual(entries[1].flags, ['no_response']);
  });

  test('grouped AVPs nested past the depth limit are cut, not recursed', () => {
    let inner = avp(443, avp(444, str('x')));
    for (let i = 0; i < 40; i++) inner = avp(443, inner);
    const deep = message(0x80, 272, 4, 1, 1, [inner]);
    const { entries, anomalies } = feed(diameterDissector, [{ dir: 0, bytes: deep, tsUs: 1 }]);
    assert.equal(entries.length, 1);
    assert.deepEqual(anomalies, ['diameter.avp_depth']);
  });
});
