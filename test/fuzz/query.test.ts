// Random text and random token sequences never make the query compiler throw anything but a
// QueryError (a QUERY_* code with a position inside the text), the compiled predicate never
// throws, and the SQL push-down always runs. Queries that once failed are kept, one per line,
// in test/fixtures/regress/query/queries.txt.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { compileQuery, QueryError, validateQuery } from '../../src/query/index.js';
import { openStoreDatabase } from '../../src/store/database.js';
import { EntriesIndex } from '../../src/store/entries-index.js';
import { query as wellFormedQuery } from '../query/arbitraries.js';
import { NOW_US, SAMPLES } from '../query/samples.js';

const NUM_RUNS = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const seedEnv = process.env.MESHTAP_FUZZ_SEED;
const SEED = seedEnv === 'random' ? undefined : Number(seedEnv ?? 5);
const REGRESS = new URL('../fixtures/regress/query/queries.txt', import.meta.url).pathname;

const index = new EntriesIndex(openStoreDatabase(':memory:'));
index.insertMany(SAMPLES.map((entry) => ({ entry, streamKey: entry.protocol, node: 'n' })));
const stored = index.query('', { limit: 100 }).entries;

/** The whole contract for one input; returns whether it compiled. */
function survives(text: string): boolean {
  const problems = validateQuery(text, { nowUs: NOW_US });
  for (const p of problems) {
    assert.match(p.code, /^QUERY_[A-Z_]+$/);
    assert.ok(p.position.offset >= 0 && p.position.offset <= text.length, text);
  }
  let compiled;
  try {
    compiled = compileQuery(text, { nowUs: NOW_US });
  } catch (err) {
    assert.ok(err instanceof QueryError, `${text}: ${String(err)}`);
    assert.equal(err.code, problems[0]?.code, text);
    return false;
  }
  assert.deepEqual(problems, [], text);
  for (const entry of SAMPLES) assert.equal(typeof compiled.predicate(entry), 'boolean', text);
  const expected = stored.filter(compiled.predicate).length;
  assert.equal(index.count(compiled), expected, text);
  index.query(compiled, { limit: 10 });
  return true;
}

const TOKENS = [
  'http',
  'http2',
  'grpc',
  'diameter',
  'dns',
  'tcp',
  'udp',
  'and',
  'or',
  'not',
  '&&',
  '||',
  '!',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '=',
  '+',
  '-',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  'true',
  'false',
  'null',
  '0',
  '200',
  '1.5',
  '1e400',
  '"GET"',
  "'x'",
  '"',
  'r"^a.*"',
  'r"("',
  'r"a"i',
  '"\\u00"',
  'request',
  'response',
  'src',
  'dst',
  'name',
  'method',
  'status',
  'headers',
  '["Host"]',
  '[0]',
  'avps',
  'flags',
  'timestamp',
  'elapsed',
  'len',
  'contains',
  'startsWith',
  'datetime',
  'now',
  'minutes',
  'limit',
  'request.method',
  'response.status',
  'request.headers["x"]',
  'src.name',
];

/** Any code points, lone surrogates included (fc's 'binary' unit is slow to set up). */
const anyCodePoints = fc
  .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 40 })
  .map((points) => String.fromCodePoint(...points));

const tokenSequence = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 14 })
  .chain((tokens) => fc.tuple(fc.constant(tokens), fc.constantFrom(' ', '')))
  .map(([tokens, sep]) => tokens.join(sep));

describe('query fuzz', () => {
  test('random text', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodePoints, fc.string({ maxLength: 40 })), (text) => {
        survives(text);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  });

  test('random token sequences', () => {
    let compiled = 0;
    fc.assert(
      fc.property(tokenSequence, (text) => {
        if (survives(text)) compiled++;
      }),
      { numRuns: NUM_RUNS * 3, seed: SEED },
    );
    assert.ok(compiled > 0, 'some token sequences are valid queries');
  });

  test('generated well-formed queries always compile', () => {
    fc.assert(
      fc.property(wellFormedQuery, (text) => {
        assert.ok(survives(text), text);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  });

  test('regression inputs', () => {
    if (!existsSync(REGRESS)) return;
    const lines = readFileSync(REGRESS, 'utf8').split('\n');
    for (const line of lines) if (line !== '' && !line.startsWith('#')) survives(JSON.parse(line) as string);
  });
});
