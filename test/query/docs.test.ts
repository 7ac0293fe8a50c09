// Every example of docs/query-language.md, read from the file: each ```query block must
// compile and match at least one of the sample entries, each ```query-error block must fail
// with the code and offset written in its info string. The doc cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileQuery, validateQuery } from '../../src/query/index.js';
import { matchingIds, NOW_US } from './samples.js';

const DOC = fileURLToPath(new URL('../../docs/query-language.md', import.meta.url));

interface Block {
  info: string;
  body: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const fence = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    out.push({ info: m[1]!.trim(), body: m[2]!.replace(/\n$/, '') });
  }
  return out;
}

const all = blocks(readFileSync(DOC, 'utf8'));
const examples = all.filter((b) => b.info === 'query');
const errors = all.filter((b) => b.info.startsWith('query-error'));

test('the doc has examples for every protocol and error examples', () => {
  assert.ok(examples.length >= 20, `${examples.length} examples`);
  assert.ok(errors.length >= 6, `${errors.length} error examples`);
  for (const word of ['http ', 'http2', 'grpc', 'diameter', 'dns']) {
    assert.ok(
      examples.some((b) => b.body.startsWith(word)),
      `an example for ${word}`,
    );
  }
});

test('every example compiles and matches a sample entry', () => {
  for (const { body } of examples) {
    assert.deepEqual(validateQuery(body, { nowUs: NOW_US }), [], body);
    const ids = matchingIds(compileQuery(body, { nowUs: NOW_US }).predicate);
    assert.ok(ids.length > 0, `no sample matches: ${body}`);
  }
});

test('every error example fails with its code at its offset', () => {
  for (const { info, body } of errors) {
    const [, code, offset] = info.split(/\s+/);
    const [problem] = validateQuery(body);
    assert.equal(problem?.code, code, body);
    assert.equal(problem?.position.offset, Number(offset), body);
  }
});
