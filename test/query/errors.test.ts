// Error codes and positions. Offsets are counted by hand on each literal (0-based; line and
// column 1-based); tests assert codes and positions, never message text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, QueryError, validateQuery } from '../../src/query/index.js';
import { MeshtapError } from '../../src/util/errors.js';

const FIRST_PROBLEM: [string, string, number][] = [
  ['response.status == "200"', 'QUERY_TYPE', 19],
  ['"200" == response.status', 'QUERY_TYPE', 0], // the literal is blamed, wherever it stands
  ['src.name == 5', 'QUERY_TYPE', 12],
  ['src.name', 'QUERY_TYPE', 0], // not a condition
  ['5', 'QUERY_TYPE', 0],
  ['request.body == "x"', 'QUERY_TYPE', 0], // objects compare with nothing
  ['response.trailersOnly < true', 'QUERY_TYPE', 24],
  ['response.status == r"2.."', 'QUERY_TYPE', 19],
  ['request.path > r"a"', 'QUERY_TYPE', 15],
  ['response.status < null', 'QUERY_TYPE', 18],
  ['len(src.port) > 1', 'QUERY_TYPE', 4],
  ['startsWith(response.status, "2")', 'QUERY_TYPE', 11],
  ['contains(flags, 5)', 'QUERY_TYPE', 16],
  ['src.name + 1 > 2', 'QUERY_TYPE', 0],
  ['request.methd == "GET"', 'QUERY_UNKNOWN_FIELD', 8],
  ['foo', 'QUERY_UNKNOWN_FIELD', 0],
  ['src.port.x == 1', 'QUERY_UNKNOWN_FIELD', 9],
  ['request.headers.authorization == "x"', 'QUERY_UNKNOWN_FIELD', 16],
  ['request.questions["x"] == 1', 'QUERY_UNKNOWN_FIELD', 18],
  ['src[0] == 1', 'QUERY_UNKNOWN_FIELD', 4],
  ['http and', 'QUERY_SYNTAX', 8],
  ['(http', 'QUERY_SYNTAX', 5],
  ['http)', 'QUERY_SYNTAX', 4],
  ['a = 1', 'QUERY_SYNTAX', 2],
  ['http & dns', 'QUERY_SYNTAX', 5],
  ['src.port == 1 == 2', 'QUERY_SYNTAX', 14],
  ['"abc', 'QUERY_SYNTAX', 0],
  ['src.name == "\\x"', 'QUERY_SYNTAX', 13],
  ['src.name == "\\ud800"', 'QUERY_SYNTAX', 12], // a lone surrogate
  ['request.path == r"a"g', 'QUERY_SYNTAX', 20],
  ['src.port == 12ab', 'QUERY_SYNTAX', 12],
  ['request.headers[x] == "1"', 'QUERY_SYNTAX', 16],
  ['src. == 1', 'QUERY_SYNTAX', 5],
  ['http or limit(5)', 'QUERY_SYNTAX', 8],
  ['request.path == r"(unclosed"', 'QUERY_BAD_REGEX', 16],
  ['limit(0)', 'QUERY_BAD_ARGUMENT', 6],
  ['limit(2.5)', 'QUERY_BAD_ARGUMENT', 6],
  ['limit(5) and limit(6)', 'QUERY_BAD_ARGUMENT', 13],
  ['timestamp > datetime("2026-02-30T00:00:00Z")', 'QUERY_BAD_ARGUMENT', 21],
  ['timestamp > datetime(src.name)', 'QUERY_BAD_ARGUMENT', 21],
  ['timestamp > minutes(src.port)', 'QUERY_BAD_ARGUMENT', 20],
  ['len(flags, 1) > 0', 'QUERY_BAD_ARGUMENT', 0],
  ['now(1) > 0', 'QUERY_BAD_ARGUMENT', 0],
  ['startswith(request.path, "/")', 'QUERY_UNKNOWN_FUNCTION', 0],
  ['http and lower(src.name) == "x"', 'QUERY_UNKNOWN_FUNCTION', 9],
];

test('the first problem has a stable code and position', () => {
  for (const [query, code, offset] of FIRST_PROBLEM) {
    const problems = validateQuery(query);
    assert.ok(problems.length > 0, query);
    assert.equal(problems[0]!.code, code, query);
    assert.equal(problems[0]!.position.offset, offset, query);
    assert.throws(
      () => compileQuery(query),
      (e: unknown) =>
        e instanceof QueryError &&
        e instanceof MeshtapError &&
        e.code === code &&
        e.position.offset === offset,
      query,
    );
  }
});

test('lines and columns count from 1 across newlines', () => {
  const text = 'http and\n  request.headers.authorization == "x"';
  const [problem] = validateQuery(text);
  assert.deepEqual(problem?.position, { offset: 27, line: 2, column: 19 });
  assert.equal(problem?.length, 'authorization'.length);
  assert.deepEqual(validateQuery('http and\n\nfoo == 1')[0]?.position, { offset: 10, line: 3, column: 1 });
});

test('every name and type problem is reported, not only the first', () => {
  const problems = validateQuery('foo == 1 and bar == 2 or response.status == "x"');
  assert.deepEqual(
    problems.map((p) => [p.code, p.position.offset]),
    [
      ['QUERY_UNKNOWN_FIELD', 0],
      ['QUERY_UNKNOWN_FIELD', 13],
      ['QUERY_TYPE', 44],
    ],
  );
});

test('valid queries have no problems', () => {
  assert.deepEqual(validateQuery(''), []);
  assert.deepEqual(validateQuery('  \n '), []);
  assert.deepEqual(validateQuery('http and response.status >= 500 and limit(10)'), []);
});

test('size and nesting limits give QUERY_TOO_COMPLEX, not a stack overflow', () => {
  const deep = '('.repeat(100) + 'http' + ')'.repeat(100);
  const nots = 'not '.repeat(1000) + 'http';
  const minus = 'src.port == ' + '-'.repeat(1000) + '1';
  const long = 'http or '.repeat(10_000) + 'http';
  for (const text of [deep, nots, minus, long]) {
    assert.equal(validateQuery(text)[0]?.code, 'QUERY_TOO_COMPLEX', text.slice(0, 30));
  }
  // A long flat chain is fine: and/or chains and sums do not nest.
  assert.deepEqual(validateQuery('http or '.repeat(5_000) + 'http'), []);
  assert.equal(compileQuery('src.port' + ' + 1'.repeat(5_000) + ' == 5001').predicate(PORT_1), true);
});

const PORT_1 = { src: { port: 1 } } as never;

test('the deepest queries allowed compile and run without exhausting the stack', () => {
  // 62 nested groups of 62-term sums once overflowed the stack (sums were left-deep trees).
  let sum = 'src.port';
  for (let i = 0; i < 62; i++) sum = `(${sum}${' + 1'.repeat(62)})`;
  assert.equal(compileQuery(`${sum} == ${1 + 62 * 62}`).predicate(PORT_1), true);
  // Paths below free-form values are not checked, so they may be very long.
  const path = 'request.avps[0].value' + '.a'.repeat(20_000);
  assert.equal(
    compileQuery(`${path} == "x"`).predicate({ request: { avps: [{ value: {} }] } } as never),
    false,
  );
  let nested = 'http';
  for (let i = 0; i < 60; i++) nested = `(${nested} and not (dns or udp))`;
  assert.equal(typeof compileQuery(nested).predicate({ protocol: 'http' } as never), 'boolean');
});
