import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCaptures, corpusPcap } from '../helpers/corpus.js';
import { meshtap } from '../helpers/cli.js';
import { pcapngBlock } from '../helpers/pcapng.js';
import { runTool, tryTool } from '../helpers/tools.js';

const DNS_TCP = corpusPcap('tcpdump__dns_tcp.pcap');
const VLAN = corpusPcap('pcapplusplus__VlanPackets.pcap');
const NGTEST = corpusPcap('pcapplusplus__many_interfaces-1.pcapng');
const work = mkdtempSync(join(tmpdir(), 'meshtap-cli-'));

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/** Frame timing and lengths as tshark reports them: the records a capture file holds. */
function tsharkFrames(file: string): string {
  return runTool('tshark', [
    '-r',
    file,
    '-T',
    'fields',
    '-e',
    'frame.time_epoch',
    '-e',
    'frame.len',
    '-e',
    'frame.cap_len',
  ]);
}

describe('meshtap read', () => {
  test('prints one tcpdump-style line per packet that agrees with tcpdump -n -S', () => {
    for (const file of [
      DNS_TCP,
      VLAN,
      corpusPcap('tcpdump__dns_udp.pcap'),
      corpusPcap('zeek__ipv6-fragmented-dns.pcap'),
    ]) {
      const ours = lines(meshtap(['read', file]).stdout);
      // tcpdump's continuation lines (hex dumps, multi-line protocols) start with white space.
      // meshtap prints absolute TCP sequence numbers, as tcpdump -S does.
      const theirs = lines(runTool('tcpdump', ['-n', '-S', '-r', file])).filter((l) => /^\d/.test(l));
      assert.equal(ours.length, theirs.length, file);
      for (let i = 0; i < ours.length; i++) {
        const context = `${file} packet ${i + 1}:\n ours    ${ours[i]}\n tcpdump ${theirs[i]}`;
        // Time, IP version and endpoints agree for every IP packet; tcpdump then decodes the
        // application payload (DNS...), so beyond the endpoints only TCP lines are compared whole.
        const endpoints = /^(\S+ IP6? \S+ > \S+?):/.exec(theirs[i]);
        if (endpoints) assert.ok(ours[i].startsWith(endpoints[1]), context);
        if (theirs[i].includes(' Flags [')) assert.ok(theirs[i].startsWith(ours[i]), context);
      }
    }
  });

  test('-c stops after N packets; a trailing expression filters like tcpdump', () => {
    assert.equal(lines(meshtap(['read', '-c', '3', DNS_TCP]).stdout).length, 3);
    const expr = ['tcp[tcpflags] & tcp-push != 0'];
    const ours = lines(meshtap(['read', DNS_TCP, ...expr]).stdout);
    const theirs = lines(runTool('tcpdump', ['-n', '-r', DNS_TCP, ...expr]));
    assert.equal(ours.length, theirs.length);
    assert.ok(ours.length > 0);
    assert.equal(lines(meshtap(['read', DNS_TCP, '-f', 'udp']).stdout).length, 0);
  });

  test('-w writes pcap and pcapng that tshark reads back with the same records', () => {
    for (const [input, out] of [
      [DNS_TCP, join(work, 'out.pcap')],
      [DNS_TCP, join(work, 'out.pcapng')],
      [NGTEST, join(work, 'multi.pcapng')],
    ]) {
      const r = meshtap(['read', input, '-w', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(tsharkFrames(out), tsharkFrames(input), `${input} -> ${out}`);
    }
    const magic = readFileSync(join(work, 'out.pcapng')).readUInt32LE(0);
    assert.equal(magic, 0x0a0d0d0a, 'the .pcapng extension selects pcapng');
    const forced = join(work, 'forced.cap');
    assert.equal(meshtap(['read', DNS_TCP, '-w', forced, '--out-format', 'pcapng']).status, 0);
    assert.equal(readFileSync(forced).readUInt32LE(0), 0x0a0d0d0a);
  });

  test("-w pcapng keeps each packet's epb_flags and comment, as tshark reads them", () => {
    // Hand-built little-endian pcapng (RFC draft-ietf-opsawg-pcapng): SHB, IDB (Ethernet),
    // and two EPBs of a 14-byte frame, the first with epb_flags 0x00000002 (outbound) and a
    // comment, the second with epb_flags 0x00000001 (inbound).
    const option = (code: number, value: Buffer): Buffer => {
      const head = Buffer.alloc(4);
      head.writeUInt16LE(code, 0);
      head.writeUInt16LE(value.length, 2);
      return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    };
    const u32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n, 0);
      return b;
    };
    const shb = pcapngBlock(0x0a0d0d0a, Buffer.from('4d3c2b1a01000000ffffffffffffffff', 'hex'));
    const idb = pcapngBlock(1, Buffer.from('0100000000000400', 'hex'));
    const frame = Buffer.from('ffffffffffff0200000000010800', 'hex');
    const epb = (usLow: number, options: Buffer): Buffer =>
      pcapngBlock(
        6,
        Buffer.concat([u32(0), u32(0), u32(usLow), u32(14), u32(14), frame, Buffer.alloc(2), options]),
      );
    const end = option(0, Buffer.alloc(0));
    const input = join(work, 'flags.pcapng');
    writeFileSync(
      input,
      Buffer.concat([
        shb,
        idb,
        epb(1, Buffer.concat([option(2, u32(2)), option(1, Buffer.from('sent')), end])),
        epb(2, Buffer.concat([option(2, u32(1)), end])),
      ]),
    );
    const fields = (file: string): string =>
      runTool('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_flags', '-e', 'frame.comment']);
    assert.equal(fields(input), '0x00000002\tsent\n0x00000001\t\n', 'tshark reads the hand-built input');
    const out = join(work, 'flags-out.pcapng');
    const r = meshtap(['read', input, '-w', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fields(out), fields(input));
  });

  test('-w - streams the capture to stdout; - reads standard input', () => {
    const piped = meshtap(['read', DNS_TCP, '-w', '-']);
    assert.equal(piped.status, 0, piped.stderr);
    const back = meshtap(['read', '-'], piped.stdoutBytes);
    assert.equal(back.status, 0, back.stderr);
    assert.deepEqual(lines(back.stdout), lines(meshtap(['read', DNS_TCP]).stdout));
  });

  test('--format json gives one object per packet with its decoded layers', () => {
    const objects = lines(meshtap(['read', DNS_TCP, '--format', 'json']).stdout).map((l) => JSON.parse(l));
    assert.equal(objects.length, 11);
    assert.deepEqual(
      objects[0].layers.map((l: { layer: string }) => l.layer),
      ['ethernet', 'ipv4', 'tcp'],
    );
    const frames = lines(
      runTool('tshark', ['-r', DNS_TCP, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len']),
    );
    assert.deepEqual(
      objects.map((o) => `${o.frame}\t${o.len}`),
      frames,
    );
  });

  test('--format json reads every corpus capture; each time is the epoch tshark reads, as GNU date writes it', () => {
    for (const file of corpusCaptures()) {
      const run = meshtap(['read', file, '--format', 'json']);
      // Damaged captures end with their typed error; nothing may end in an internal error.
      assert.doesNotMatch(run.stderr, /internal error/, file);
    }
    // This capture's second interface has timestamps near 2^64 microseconds (the year 586524).
    const file = corpusPcap('pcapplusplus__pcapng-example.pcapng');
    const times = lines(meshtap(['read', file, '--format', 'json']).stdout).map((l) => JSON.parse(l).time);
    const epochs = lines(runTool('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch']));
    assert.equal(times.length, epochs.length);
    const dates = new Map<string, string>();
    for (const [i, epoch] of epochs.entries()) {
      const [seconds, fraction] = epoch.split('.') as [string, string];
      let date = dates.get(seconds);
      if (date === undefined) {
        date = runTool('date', ['-u', '-d', `@${seconds}`, '+%Y-%m-%dT%H:%M:%S']).trim();
        dates.set(seconds, date);
      }
      const year = date.slice(0, date.indexOf('-'));
      const iso = year.length > 4 ? `+${year.padStart(6, '0')}${date.slice(year.length)}` : date;
      assert.equal(times[i], `${iso}.${fraction.padEnd(9, '0')}Z`, `packet ${i + 1}`);
    }
  });

  test('--trace shows the path of exactly N packets; --stats shows the node counters', () => {
    const r = meshtap(['read', DNS_TCP, '-q', '--trace', 'pcap-input:2', '--stats']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^11 packets$/m);
    assert.match(r.stdout, /^Packet 2$/m);
    assert.doesNotMatch(r.stdout, /^Packet 3$/m);
    const firstTrace = r.stdout.split('Packet 2')[0];
    const path = [...firstTrace.matchAll(/^\d\d:\d\d:\d\d:\d{6}: (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(path, [
      'pcap-input',
      'link-input',
      'ethernet-input',
      'ip4-input',
      'tcp-input',
      'packet-output',
    ]);
    assert.match(firstTrace, /TCP: 192\.168\.1\.11 -> 209\.87\.249\.18/);
    assert.match(firstTrace, /TCP: 33779 -> 53/);
    assert.match(r.stdout, /^pcap-input\s+polling\s+1\s+11\s/m);
    assert.match(r.stdout, /^tcp-input\s+active\s+\d+\s+11\s/m);
  });

  test('-w without --trace skips decoding; with --trace it decodes', () => {
    const filter = 'tcp[tcpflags] & tcp-push != 0';
    const reference = join(work, 'filtered-tcpdump.pcap');
    runTool('tcpdump', ['-r', DNS_TCP, '-w', reference, filter]);
    const rejected = 11 - lines(runTool('tcpdump', ['-n', '-r', reference])).length;
    assert.ok(rejected > 0 && rejected < 11);

    // The filter runs in the reader: rejected packets never enter the graph, and --stats counts them.
    const out = join(work, 'filtered.pcap');
    const plain = meshtap(['read', DNS_TCP, '-f', filter, '-w', out, '--stats']);
    assert.equal(plain.status, 0, plain.stderr);
    const nodes = [...plain.stdout.matchAll(/^(\S+)\s+(?:polling|active)\s/gm)].map((m) => m[1]);
    assert.deepEqual(nodes.sort(), ['packet-output', 'pcap-input']);
    assert.match(plain.stdout, new RegExp(`^\\s+${rejected}  pcap-filter: filter did not match$`, 'm'));
    assert.equal(tsharkFrames(out), tsharkFrames(reference));

    // A trace on the input must see the filter's verdicts, so the graph keeps its pcap-filter node.
    const inGraph = join(work, 'filtered-in-graph.pcap');
    const verdicts = meshtap([
      'read',
      DNS_TCP,
      '-f',
      filter,
      '-w',
      inGraph,
      '--trace',
      'pcap-input:11',
      '--stats',
    ]);
    assert.equal(verdicts.status, 0, verdicts.stderr);
    assert.equal((verdicts.stdout.match(/: no match$/gm) ?? []).length, rejected);
    assert.match(verdicts.stdout, new RegExp(`^\\s+${rejected}  pcap-filter: filter did not match$`, 'm'));
    assert.match(verdicts.stdout, /^pcap-filter\s+active\s+1\s+11\s/m);
    assert.equal(tsharkFrames(inGraph), tsharkFrames(reference));
    const traced = meshtap([
      'read',
      DNS_TCP,
      '-w',
      join(work, 'traced.pcap'),
      '--trace',
      'tcp-input:1',
      '--stats',
    ]);
    assert.equal(traced.status, 0, traced.stderr);
    assert.match(traced.stdout, /^tcp-input\s+active\s+\d+\s+11\s/m);
  });

  test('usage errors exit 2 with a stable code', () => {
    const cases: Array<[string[], string]> = [
      [['read', DNS_TCP, '-c', 'many'], 'CLI_BAD_NUMBER'],
      [['read', DNS_TCP, '-c', '0'], 'CLI_BAD_NUMBER'],
      [['read', DNS_TCP, '--format', 'xml'], 'CLI_BAD_FORMAT'],
      [['read', DNS_TCP, '--out-format', 'erf', '-w', join(work, 'x')], 'CLI_BAD_OUT_FORMAT'],
      [['read', DNS_TCP, '--trace', 'no-such-node:3'], 'CLI_UNKNOWN_NODE'],
      [['read', DNS_TCP, '--trace', 'pcap-input'], 'CLI_BAD_TRACE'],
      [['read', DNS_TCP, '-f', 'tcp', 'port', '53'], 'CLI_FILTER_TWICE'],
      [['read', DNS_TCP, 'port', 'and'], 'FILTER_SYNTAX'],
    ];
    for (const [args, code] of cases) {
      const r = meshtap(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`[${code}]`), `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(meshtap(['read']).status, 2);
  });

  test('an output that cannot be opened or written exits 1 with its code', () => {
    const noDir = meshtap(['read', DNS_TCP, '-w', join(work, 'no-such-dir', 'x.pcap')]);
    assert.equal(noDir.status, 1, noDir.stderr);
    assert.match(noDir.stderr, /\[CAPTURE_OPEN_FAILED\]/);
    const full = meshtap(['read', DNS_TCP, '-w', '/dev/full']);
    assert.equal(full.status, 1, full.stderr);
    assert.match(full.stderr, /ENOSPC.*\[CAPTURE_IO_ERROR\]/);
  });

  test('unreadable and damaged files exit 1 with the damage code, after every complete packet', () => {
    const missing = meshtap(['read', join(work, 'does-not-exist.pcap')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\[CAPTURE_OPEN_FAILED\]/);

    const text = join(work, 'notes.txt');
    writeFileSync(text, 'this is not a capture file\n');
    const bad = meshtap(['read', text]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /\[PCAP_BAD_MAGIC\]/);

    const whole = readFileSync(DNS_TCP);
    const cut = join(work, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const r = meshtap(['read', cut]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[PCAP_TRUNCATED_RECORD\]/);
    // tcpdump reads the same 10 complete packets before it reports the truncation.
    const reference = tryTool('tcpdump', ['-n', '-r', cut]);
    assert.equal(lines(r.stdout).length, lines(reference.stdout).length);
    assert.equal(lines(r.stdout).length, 10);
  });
});
