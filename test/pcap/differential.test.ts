import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { corpusCaptures } from '../helpers/corpus.js';
import { tryTool } from '../helpers/tools.js';
import { CAPTURE_ERROR_CODES as E, readCaptureBuffer } from '../../src/pcap/index.js';
import type { CaptureInterface, PacketRecord } from '../../src/pcap/index.js';
import { tsharkFrames } from './tshark.js';

/**
 * LINKTYPE_* → Wireshark's wiretap encapsulation number (frame.encap_type), read off
 * tshark for corpus files whose header link type was checked by hand with xxd:
 * dns_udp (1), http2-continuation (0), four_ipv6_http_streams (101), sll (113),
 * linux_dlt_sll2 (276), microsecs_big_endian (253).
 */
const WTAP_ENCAP: Record<number, number> = { 1: 1, 0: 15, 101: 7, 12: 7, 14: 7, 113: 25, 276: 210, 253: 158 };

/** Damaged files: the code meshtap must report (tshark's messages quoted beside them). */
const EXPECTED_ERRORS: Record<string, string> = {
  'libpcap__pcap-invalid-version-1.pcap': E.PCAP_BAD_VERSION, // "pcap: major version 1 unsupported"
  'libpcap__pcapng-invalid-vers-1.pcapng': E.PCAPNG_BAD_VERSION, // "unknown SHB version 0.1"
  'libpcap__shb-option-too-long.pcapng': E.PCAPNG_BAD_OPTION, // "Not enough data to handle option of length 12336"
  'libpcap__linktype-reserved-field-not-zero.pcap': E.PCAP_BAD_LINKTYPE, // "network type reserved field not zero"
  'gopacket__pcapng-le__test901.pcapng': E.PCAPNG_BAD_VERSION, // "unknown SHB version 2.0" after 1 packet
  'suricata-verify__bug-6875-01__fuzz.pcap': E.PCAP_RECORD_TOO_LARGE,
};

/**
 * bug-6875-01__fuzz.pcap: Wireshark guesses a variant pcap record layout from the odd
 * second record and so reads 2 frames; libpcap keeps the standard layout and stops at the
 * absurd caplen after 1 ("invalid packet capture length 1409179648"). meshtap reads the
 * standard layout only, so this file is compared against tcpdump's count instead.
 */
const FOLLOWS_LIBPCAP = new Set(['suricata-verify__bug-6875-01__fuzz.pcap']);

function recordNs(r: PacketRecord): bigint {
  return BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec);
}

/** Index of an interface within its own section: tshark numbers interfaces per section. */
function localInterfaceId(interfaces: readonly CaptureInterface[], id: number): number {
  let local = 0;
  for (let i = 0; i < id; i++) if (interfaces[i].section === interfaces[id].section) local++;
  return local;
}

function tcpdumpCount(path: string): number {
  const run = tryTool('tcpdump', ['-n', '-r', path]);
  return run.stdout.split('\n').filter((l) => l.length > 0).length;
}

describe('differential against tshark over the whole corpus', () => {
  for (const path of corpusCaptures()) {
    const name = basename(path);
    test(name, () => {
      const got = readCaptureBuffer(readFileSync(path));
      const expected = tsharkFrames(path, got.format === 'pcapng');
      const records = got.records;
      if (FOLLOWS_LIBPCAP.has(name)) {
        assert.equal(records.length, tcpdumpCount(path));
        assert.equal(got.error?.code, EXPECTED_ERRORS[name]);
        return;
      }
      assert.equal(records.length, expected.frames.length, 'packet count');
      const wantCode = EXPECTED_ERRORS[name];
      if (wantCode !== undefined) {
        assert.notEqual(expected.error, '', 'tshark reports damage too');
        assert.equal(got.error?.code, wantCode);
      } else {
        assert.equal(expected.error, '', 'tshark reads the file cleanly');
        assert.equal(got.error, null);
      }
      records.forEach((r, i) => {
        const f = expected.frames[i];
        const where = `${name} frame ${i + 1}`;
        assert.equal(recordNs(r), f.timeNs ?? 0n, `${where} time`);
        assert.equal(r.data.length, f.capLen, `${where} cap_len`);
        assert.equal(r.origLen, f.len, `${where} len`);
        assert.equal(WTAP_ENCAP[r.linkType], f.encapType, `${where} link type ${r.linkType}`);
        assert.equal(createHash('md5').update(r.data).digest('hex'), f.md5, `${where} bytes`);
        assert.deepEqual(r.comments ?? [], f.comments, `${where} comments`);
        if (got.format === 'pcapng') {
          assert.equal(got.interfaces[r.interfaceId].section, (f.section ?? 1) - 1, `${where} section`);
          assert.equal(localInterfaceId(got.interfaces, r.interfaceId), f.interfaceId, `${where} interface`);
        }
      });
    });
  }
});
