// Error reporting: syntax errors carry the character position (offsets below are counted by
// hand on the literal), semantic refusals mirror libpcap's and carry stable codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FilterSyntaxError,
  FilterTooComplexError,
  compileFilter,
  createFilterMatcher,
  parseFilter,
  validateFilter,
} from '../../src/filter/index.js';
import type { PacketRecord } from '../../src/pcap/record.js';

const SYNTAX_POSITIONS: [string, number][] = [
  ['tcp and', 7], // end of input
  ['host 10.0.0.1 or', 16],
  ['port 80 and @', 12], // unknown character
  ['ip[0] >', 7],
  ['tcp or 80', 7], // a number with no qualifier to inherit ("tcp" sets none)
  ['(tcp', 4],
  ['vlan (ip)', 6],
  ['0x1ffffffff > 1', 0], // overflows 32 bits
  ['08 > 1', 0], // non-octal digit
  ['10.0.0.1', 0], // an address needs a qualifier at the start
  ['tcp port 80 80', 12],
  ['src', 3],
];

test('syntax errors report FILTER_SYNTAX with the character position', () => {
  for (const [expr, position] of SYNTAX_POSITIONS) {
    assert.throws(
      () => compileFilter(expr, 1),
      (e: unknown) => e instanceof FilterSyntaxError && e.code === 'FILTER_SYNTAX' && e.position === position,
      expr,
    );
  }
});

test('semantic refusals have stable codes', () => {
  const cases: [string, number, string][] = [
    ['host 1.2.3.4/8', 1, 'FILTER_SEMANTIC'], // non-network bits
    ['gateway foo', 1, 'FILTER_SEMANTIC'], // needs name resolution
    ['host example.com', 1, 'FILTER_SEMANTIC'],
    ['ip[0] / 0 > 1', 1, 'FILTER_SEMANTIC'],
    // tcpdump 4.99.3 refuses these too: the divisor's first statement loads 0 (`%` has no
    // precedence, so it is `0 + 5`), an operand that folds to 0, a shift amount that folds past 31
    ['1 % 0 + 5 > 0', 1, 'FILTER_SEMANTIC'],
    ['ip[0] / (1 - 1) > 0', 1, 'FILTER_SEMANTIC'],
    ['len >> -1 > 0', 1, 'FILTER_SEMANTIC'],
    ['ip[0] >> (1 << 5) > 0', 1, 'FILTER_SEMANTIC'],
    ['port 70000', 1, 'FILTER_SEMANTIC'],
    ['tcp port ssh and udp port ssh', 1, 'FILTER_SEMANTIC'], // ssh is tcp only in the services table
    ['ether host 00:11:22:33:44:55', 101, 'FILTER_NOT_APPLICABLE'],
    ['broadcast', 0, 'FILTER_NOT_APPLICABLE'],
    ['mpls', 113, 'FILTER_NOT_APPLICABLE'],
    ['inbound', 1, 'FILTER_NOT_APPLICABLE'],
    ['tcp', 147, 'FILTER_NOT_APPLICABLE'], // link type meshtap does not filter
  ];
  for (const [expr, linkType, code] of cases)
    assert.throws(() => compileFilter(expr, linkType), { code }, expr);
});

test('validateFilter returns errors instead of throwing', () => {
  assert.deepEqual(validateFilter('tcp port 80', 1), []);
  const [err] = validateFilter('tcp port', 1);
  assert.equal(err?.code, 'FILTER_SYNTAX');
  assert.equal(validateFilter('vlan', 101)[0]?.code, 'FILTER_NOT_APPLICABLE');
});

test('parseFilter gives the tree with inherited qualifiers', () => {
  const ast = parseFilter('port 80 or 443');
  assert.equal(ast?.k, 'or');
  if (ast?.k !== 'or' || ast.b.k !== 'id') throw new Error('unexpected tree');
  assert.deepEqual(ast.b.q, { proto: 'default', dir: 'default', addr: 'port' });
  assert.equal(parseFilter(''), null);
});

function record(linkType: number, bytes: number[]): PacketRecord {
  return {
    data: Uint8Array.from(bytes),
    origLen: bytes.length,
    tsSec: 0,
    tsNsec: 0,
    linkType,
    interfaceId: 0,
  };
}

test('createFilterMatcher compiles per link type and throws on the first inapplicable one', () => {
  const match = createFilterMatcher('ether broadcast');
  // Ethernet frame to ff:ff:ff:ff:ff:ff (hand-written: dst, src, type 0x0806).
  const bcast = record(1, [255, 255, 255, 255, 255, 255, 0, 1, 2, 3, 4, 5, 8, 6]);
  assert.equal(match(bcast), true);
  assert.equal(match(record(1, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 8, 6])), false);
  assert.throws(() => match(record(0, [2, 0, 0, 0])), { code: 'FILTER_NOT_APPLICABLE' });
  assert.throws(() => createFilterMatcher('tcp and'), { code: 'FILTER_SYNTAX' });
});

test('out-of-bounds reads reject the packet, and len is the original length', () => {
  // 14-byte Ethernet header only, IPv4 type: any IP field read is past the captured bytes.
  const frame = Uint8Array.from([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 8, 0]);
  assert.equal(compileFilter('ip[0] = 0 or ether[0] = 0', 1).match(frame, 14, 100), false);
  assert.equal(compileFilter('ether[0] = 0 or ip[0] = 0', 1).match(frame, 14, 100), true);
  assert.equal(compileFilter('len = 100', 1).match(frame, 14, 100), true);
  assert.equal(compileFilter('greater 100', 1).match(frame, 14, 99), false);
});

// Past a thousand levels the recursive passes overflow the stack (a RangeError reported as an
// internal error before the limit existed); at the limit every shape still compiles.
test('expressions nested or chained past the limit are refused with FILTER_TOO_COMPLEX, at it they compile', () => {
  const ports = (n: number) => Array.from({ length: n }, (_, i) => `port ${i}`).join(' or ');
  const atLimit = [
    ports(1000),
    `${'not '.repeat(998)}tcp port 80`,
    `${'('.repeat(998)}tcp port 80${')'.repeat(998)}`,
    `${Array.from({ length: 998 }, () => '1').join(' + ')} = 1`,
    `${'- '.repeat(997)}1 = 1`,
    `${'ip['.repeat(998)}0${']'.repeat(998)} = 1`,
    // and/or alternating 400 deep: folding tried every level again under each level (48 s at 12 deep)
    Array.from({ length: 400 }, (_, i) => i).reduce(
      (e, i) => `(${e}) ${i % 2 ? `or udp port ${i}` : `and host 10.0.${i >> 8}.${i & 255}`}`,
      'tcp port 1',
    ),
  ];
  for (const expr of atLimit) {
    const f = compileFilter(expr, 1);
    assert.equal(typeof f.match(new Uint8Array(60), 60, 60), 'boolean');
    assert.ok(f.bpf().length > 0);
  }
  const pastLimit: [string, number][] = [
    [ports(1001), 15], // the deepest nodes of a left-deep chain are its first terms: `1` of `port 1`
    [`${'not '.repeat(1000)}ip`, 3996], // the 1,000th `not`
    [`${'('.repeat(5000)}ip${')'.repeat(5000)}`, 999], // the 1,000th bracket
    [`${'ip['.repeat(1000)}0${']'.repeat(1000)} = 1`, 2999],
  ];
  for (const [expr, position] of pastLimit) {
    assert.throws(
      () => compileFilter(expr, 1),
      (e: unknown) =>
        e instanceof FilterTooComplexError && e.code === 'FILTER_TOO_COMPLEX' && e.position === position,
      expr.slice(0, 40),
    );
    assert.equal(validateFilter(expr, 1)[0]?.code, 'FILTER_TOO_COMPLEX');
  }
});
