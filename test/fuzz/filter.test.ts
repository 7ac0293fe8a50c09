// Grammar-based random filter expressions compared with tcpdump on the corpus: tcpdump and
// meshtap must accept the same packets, or both refuse the expression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilter, runBpf } from '../../src/filter/index.js';
import { mergedCorpus, readsUnsetScratch, tcpdumpAll } from '../filter/support.js';

const NUM_RUNS = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);

const ipv4 = fc.constantFrom(
  '10.0.0.1',
  '192.168.1.1',
  '172.16.0.9',
  '127.0.0.1',
  '10.1',
  '192.168',
  '8.8.8.8',
  '0.0.0.0',
);
const ipv6 = fc.constantFrom('::1', 'fe80::1', '2001:db8::1', 'ff02::1', '::ffff:10.0.0.1');
const port = fc.constantFrom('53', '80', '443', '8080', '3868', '4789', '50051', 'http', 'domain', '0');
const mac = fc.constantFrom('ff:ff:ff:ff:ff:ff', '00:0c:29:aa:bb:cc', '01:00:5e:00:00:fb', '0:1:2:3:4:5');
const dir = fc.constantFrom('', 'src ', 'dst ', 'src or dst ', 'src and dst ');
const l4 = fc.constantFrom('', 'tcp ', 'udp ', 'sctp ');
const pname = fc.constantFrom(
  'ip',
  'ip6',
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'arp',
  'rarp',
  'sctp',
  'igmp',
  'pim',
  'vrrp',
  'ah',
  'esp',
  'stp',
  'decnet',
  'iso',
  'link',
);
const indexProto = fc.constantFrom('ether', 'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'arp');
const smallNum = fc.oneof(
  fc.integer({ min: 0, max: 70 }).map(String),
  fc.constantFrom('0x40', '0xff', '255', '1500', 'tcpflags', 'tcp-syn', 'icmp-echo', '010'),
);

const arith: fc.Arbitrary<string> = fc.letrec((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    smallNum,
    fc.constant('len'),
    fc
      .tuple(indexProto, tie('e'), fc.constantFrom('', ':1', ':2', ':4'))
      .map(([p, i, s]) => `${p}[${i}${s}]`),
    fc
      .tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'), tie('e'))
      .map(([a, o, b]) => `${a} ${o} ${b}`),
    tie('e').map((a) => `(${a})`),
    tie('e').map((a) => `-${a}`),
  ),
})).e;

const primitive = fc.oneof(
  fc
    .tuple(fc.constantFrom('', 'ip ', 'arp '), dir, fc.constantFrom('host ', ''), ipv4)
    .map(([p, d, h, a]) => (p || d || h ? `${p}${d}${h}${a}` : `host ${a}`)),
  fc.tuple(dir, ipv6).map(([d, a]) => `${d}host ${a}`),
  fc
    .tuple(
      dir,
      fc.constantFrom('10.0.0.0/8', '192.168.0.0/16', '127', '10.0.0.0 mask 255.0.0.0', 'fe80::/10', '::/0'),
    )
    .map(([d, n]) => `${d}net ${n}`),
  fc.tuple(l4, dir, port).map(([p, d, n]) => `${p}${d}port ${n}`),
  fc
    .tuple(l4, dir, fc.constantFrom('1-1023', '50000-60000', '53-25'))
    .map(([p, d, r]) => `${p}${d}portrange ${r}`),
  fc
    .tuple(
      fc.constantFrom('ip ', 'ip6 ', ''),
      fc.constantFrom('proto', 'protochain'),
      fc.constantFrom('6', '17', '58', '44', '\\tcp', '\\udp', '1'),
    )
    .map(([p, k, v]) => `${p}${k} ${v}`),
  pname,
  fc
    .tuple(fc.constantFrom('vlan', 'mpls', 'pppoes', 'geneve'), fc.constantFrom('', ' 1', ' 100', ' 0xb'))
    .map(([k, n]) => `${k}${n}`),
  fc.constantFrom(
    'pppoed',
    'llc',
    'broadcast',
    'multicast',
    'ip broadcast',
    'ip multicast',
    'ip6 multicast',
    'ether broadcast',
  ),
  fc
    .tuple(fc.constantFrom('less', 'greater'), fc.integer({ min: 0, max: 2000 }))
    .map(([k, n]) => `${k} ${n}`),
  fc.tuple(fc.constantFrom('ether host', 'ether src', 'ether dst'), mac).map(([k, m]) => `${k} ${m}`),
  fc
    .tuple(arith, fc.constantFrom('>', '<', '>=', '<=', '=', '==', '!='), arith)
    .map(([a, o, b]) => `${a} ${o} ${b}`),
);

const expression: fc.Arbitrary<string> = fc.letrec((tie) => ({
  x: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    fc
      .tuple(tie('x'), fc.constantFrom(' and ', ' or ', ' && ', ' || '), tie('x'))
      .map(([a, o, b]) => `${a}${o}${b}`),
    fc.tuple(fc.constantFrom('not ', '!'), tie('x')).map(([n, a]) => `${n}${a}`),
    tie('x').map((a) => `(${a})`),
    fc
      .tuple(primitive, fc.constantFrom(' or ', ' and '), fc.oneof(ipv4, port))
      .map(([a, o, b]) => `${a}${o}${b}`),
  ),
})).x;

test('programs that read scratch memory before storing it are recognised', () => {
  const reads = (expr: string) => readsUnsetScratch(compileFilter(expr, 1).bpf());
  assert.equal(reads('not geneve and (not ip proto 6)'), true);
  assert.equal(reads('geneve or udp'), true);
  assert.equal(reads('geneve and ip proto 6'), false);
  assert.equal(reads('tcp port 80 or (ip6 and udp)'), false);
  assert.equal(reads('ip6 protochain 6'), false);
});

test('random expressions: same verdicts as tcpdump, or both refuse', async () => {
  const captures = mergedCorpus();
  await fc.assert(
    fc.asyncProperty(expression, fc.integer({ min: 0, max: captures.length - 1 }), async (expr, which) => {
      const capture = captures[which]!;
      const [ref] = await tcpdumpAll([{ capture, expr }], 1);
      let ours: number[] | 'refused';
      let undefinedInLibpcap = false;
      try {
        const f = compileFilter(expr, capture.linkType);
        const prog = f.bpf();
        undefinedInLibpcap = readsUnsetScratch(prog);
        ours = [];
        for (const [i, r] of capture.records.entries()) {
          const m = f.match(r.data, r.data.length, r.origLen);
          if (!f.rejectsAll)
            assert.equal(runBpf(prog, r.data, r.data.length, r.origLen) !== 0, m, `BPF vs JS: ${expr}`);
          if (m) ours.push(i);
        }
      } catch (e) {
        if (!(e as { code?: string }).code?.startsWith('FILTER_')) throw e;
        ours = 'refused';
      }
      if (!ref!.ok) {
        const rejectsAll = ref!.stderr.includes('expression rejects all packets');
        assert.ok(
          ours === 'refused' || (rejectsAll && ours.length === 0),
          `tcpdump refused, meshtap did not: ${expr}\n${ref!.stderr}`,
        );
      } else if (!undefinedInLibpcap) {
        // (Where the program reads scratch memory it never stored, tcpdump reads stack garbage: no verdict to compare.)
        assert.deepEqual(ours, ref!.accepted, `verdicts differ for: ${expr} (link type ${capture.linkType})`);
      }
    }),
    // A fixed seed keeps `npm test` repeatable; `npm run fuzz` sets MESHTAP_FUZZ_SEED=random.
    { numRuns: NUM_RUNS, ...fuzzSeed() },
  );
});

function fuzzSeed(): { seed?: number } {
  const seed = process.env.MESHTAP_FUZZ_SEED ?? '20261121';
  return seed === 'random' ? {} : { seed: Number(seed) };
}
