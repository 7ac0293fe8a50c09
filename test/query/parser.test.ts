// The syntax tree: precedence, n-ary chains, spans (offsets counted by hand on each literal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, type Expr } from '../../src/query/index.js';

/** A compact rendering of the tree without spans, to compare shapes. */
function shape(e: Expr): unknown {
  switch (e.kind) {
    case 'and':
    case 'or':
      return [e.kind, ...e.terms.map(shape)];
    case 'not':
    case 'negate':
      return [e.kind, shape(e.operand)];
    case 'compare':
      return [e.op, shape(e.left), shape(e.right)];
    case 'arith':
      return ['sum', shape(e.terms[0]!), ...e.ops.flatMap((op, i) => [op, shape(e.terms[i + 1]!)])];
    case 'literal':
      return e.value;
    case 'regex':
      return `r/${e.source}/${e.flags}`;
    case 'call':
      return [`${e.name}()`, ...e.args.map(shape)];
    case 'path':
      return [
        e.head,
        ...e.steps.map((s) => (s.kind === 'name' ? `.${s.name}` : s.kind === 'key' ? `[${s.key}]` : s.index)),
      ].join('');
  }
}

const SHAPES: [string, unknown][] = [
  ['a or b and c', ['or', 'a', ['and', 'b', 'c']]],
  ['a and b or c', ['or', ['and', 'a', 'b'], 'c']],
  ['a and b and c', ['and', 'a', 'b', 'c']],
  ['not a and b', ['and', ['not', 'a'], 'b']],
  ['a && b || !c', ['or', ['and', 'a', 'b'], ['not', 'c']]],
  ['!!a', ['not', ['not', 'a']]],
  ['(a or b) and c', ['and', ['or', 'a', 'b'], 'c']],
  ['x == 1 + 2 - 3', ['==', 'x', ['sum', 1, '+', 2, '-', 3]]],
  ['x - (1 - 2) > 0', ['>', ['sum', 'x', '-', ['sum', 1, '-', 2]], 0]],
  ['x > -1', ['>', 'x', ['negate', 1]]],
  ['not x.y != null', ['not', ['!=', 'x.y', null]]],
  ['a.b["C-D"][2].e == "s"', ['==', 'a.b[C-D]2.e', 's']],
  ['request.null == true', ['==', 'request.null', true]], // a keyword after a dot is a name
  ['f(a, "b", 3) and g()', ['and', ['f()', 'a', 'b', 3], ['g()']]],
  ['x == r"a\\"b"i', ['==', 'x', 'r/a\\"b/i']],
  ["x == 'it\\'s' or y == \"\\u00e9\\t\"", ['or', ['==', 'x', "it's"], ['==', 'y', 'é\t']]],
  ['x == 1.5e3', ['==', 'x', 1500]],
];

test('precedence and shapes', () => {
  for (const [text, expected] of SHAPES) {
    const ast = parseQuery(text);
    assert.ok(ast, text);
    assert.deepEqual(shape(ast), expected, text);
  }
  assert.equal(parseQuery(''), null);
  assert.equal(parseQuery(' \n\t '), null);
});

test('nodes carry their character ranges', () => {
  const ast = parseQuery('http and src.name == "x"');
  assert.ok(ast?.kind === 'and');
  assert.deepEqual(ast.span, { start: 0, end: 24 });
  const [word, compare] = ast.terms;
  assert.deepEqual(word?.span, { start: 0, end: 4 });
  assert.ok(compare?.kind === 'compare');
  assert.deepEqual(compare.span, { start: 9, end: 24 });
  assert.deepEqual(compare.left.span, { start: 9, end: 17 });
  assert.deepEqual(compare.right.span, { start: 21, end: 24 });
  // Parentheses widen the span of what they enclose.
  assert.deepEqual(parseQuery(' (a) ')?.span, { start: 1, end: 4 });
});
