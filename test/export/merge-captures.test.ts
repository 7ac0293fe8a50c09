import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeCaptures } from '../../src/export/merge-captures.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool, tsharkFrameRows } from '../helpers/tools.js';

describe('mergeCaptures (reference: tcpdump splits, mergecap merges)', () => {
  const source = corpusPcap('pcapplusplus__four_ipv6_http_streams.pcap');
  let dir: string;
  let parts: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-merge-test-'));
    // One part per TCP stream (tcpdump is the splitter), listed in an order unrelated to time.
    // tcp[] does not reach into IPv6 in libpcap, so the streams are told apart by client port.
    const clientPorts = runTool('tcpdump', ['-n', '-r', source, 'tcp dst port 80'])
      .split('\n')
      .map((l) => / IP6 \S+\.(\d+) > /.exec(l)?.[1])
      .filter((p): p is string => p !== undefined);
    const ports = [...new Set(clientPorts)];
    assert.ok(ports.length >= 4, `expected 4 streams, saw ${ports.length}`);
    parts = ports.reverse().map((port, i) => {
      const path = join(dir, `part${i}.pcap`);
      runTool('tcpdump', ['-r', source, '-w', path, `tcp port ${port}`]);
      return path;
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('time order and bytes equal mergecap on the same parts, in one round and in several', async () => {
    const expected = join(dir, 'mergecap.pcap');
    runTool('mergecap', ['-F', 'pcap', '-w', expected, ...parts]);
    const reference = tsharkFrameRows(expected);
    for (const maxOpenFiles of [128, 2]) {
      const out = join(dir, `meshtap-${maxOpenFiles}.pcap`);
      const result = await mergeCaptures(parts, out, { format: 'pcap', maxOpenFiles });
      assert.equal(result.packets, reference.length);
      assert.deepEqual(tsharkFrameRows(out), reference, `maxOpenFiles=${maxOpenFiles}`);
    }
  });

  test('an extra pcap-filter keeps exactly what tcpdump keeps of the merge', async () => {
    // SYN or FIN: the TCP flags byte sits at 40 + 13 in these extension-header-free IPv6 packets.
    const filter = 'ip6[53] & 0x03 != 0';
    const merged = join(dir, 'all.pcap');
    await mergeCaptures(parts, merged, { format: 'pcap' });
    const expected = join(dir, 'tcpdump-filtered.pcap');
    runTool('tcpdump', ['-r', merged, '-w', expected, filter]);
    const out = join(dir, 'filtered.pcapng');
    await mergeCaptures(parts, out, { format: 'pcapng', filter });
    const rows = tsharkFrameRows(expected);
    assert.ok(rows.length >= 8, 'every stream has a SYN and a FIN');
    assert.deepEqual(tsharkFrameRows(out), rows);
  });

  test('a damaged input contributes its complete records; an unreadable one is a typed error', async () => {
    const whole = join(dir, 'part0.pcap');
    const cut = join(dir, 'cut.pcap');
    // The global header, one record header and 20 bytes of its data: not one complete record.
    writeFileSync(cut, readFileSync(whole).subarray(0, 24 + 16 + 20));
    const out = join(dir, 'with-cut.pcap');
    const result = await mergeCaptures([cut, parts[1]], out, { format: 'pcap' });
    assert.equal(result.packets, tsharkFrameRows(parts[1]).length);

    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'not a capture at all');
    await assert.rejects(mergeCaptures([junk], join(dir, 'x.pcap'), { format: 'pcap' }), {
      code: 'PCAP_BAD_MAGIC',
    });
  });
});
