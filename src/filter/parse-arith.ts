import type { ArithNode } from './ast.js';
import type { Parser } from './parser.js';
import { PNAME_TOKENS } from './tokens.js';

/**
 * Binary operator precedence as declared in libpcap's grammar. `%` and `^` have none there, so
 * bison resolves every conflict involving them by shifting: they bind tighter than anything to
 * their left and their right operand extends as far as it can (`a * b ^ c + d` = `a * (b ^ (c + d))`).
 */
const PREC: ReadonlyMap<string, number> = new Map([
  ['|', 1],
  ['&', 2],
  ['LSH', 3],
  ['RSH', 3],
  ['+', 4],
  ['-', 4],
  ['*', 5],
  ['/', 5],
]);
const BINARY = new Set(['|', '&', 'LSH', 'RSH', '+', '-', '*', '/', '%', '^']);
const UMINUS = 6;

type Op = { op: string; pos: number; unary: boolean };

function precOf(o: Op): number | undefined {
  return o.unary ? UMINUS : PREC.get(o.op);
}

function shouldReduce(top: Op, lookahead: string): boolean {
  const a = precOf(top);
  const b = PREC.get(lookahead);
  return a !== undefined && b !== undefined && a >= b;
}

function reduce(ops: Op[], vals: ArithNode[]): void {
  const o = ops.pop()!;
  if (o.unary) {
    vals.push({ k: 'neg', a: vals.pop()!, pos: o.pos });
    return;
  }
  const b = vals.pop()!;
  const a = vals.pop()!;
  vals.push({ k: 'bin', op: o.op === 'LSH' ? '<<' : o.op === 'RSH' ? '>>' : o.op, a, b, pos: o.pos });
}

function parsePrimary(p: Parser): ArithNode {
  const t = p.tok;
  if (t.type === 'NUM') {
    p.next();
    return { k: 'num', value: t.num, pos: t.pos };
  }
  if (t.type === 'LEN') {
    p.next();
    return { k: 'len', pos: t.pos };
  }
  if (t.type === '(') {
    p.next();
    const inner = parseArith(p);
    p.expect(')');
    return inner;
  }
  const proto = PNAME_TOKENS.get(t.type);
  if (proto === undefined) p.fail();
  p.next();
  p.expect('[');
  const index = parseArith(p);
  let size = 1;
  if (p.tok.type === ':') {
    p.next();
    size = p.expect('NUM').num;
  }
  p.expect(']');
  return { k: 'load', proto, index, size, pos: t.pos };
}

/** Parses an `arth` with a shift-reduce loop that mirrors bison's conflict resolution. */
export function parseArith(p: Parser): ArithNode {
  const ops: Op[] = [];
  const vals: ArithNode[] = [];
  for (;;) {
    while (p.tok.type === '-') ops.push({ op: '-', pos: p.next().pos, unary: true });
    vals.push(parsePrimary(p));
    const look = p.tok.type;
    if (!BINARY.has(look)) break;
    while (ops.length > 0 && shouldReduce(ops[ops.length - 1]!, look)) reduce(ops, vals);
    ops.push({ op: look, pos: p.next().pos, unary: false });
  }
  while (ops.length > 0) reduce(ops, vals);
  return vals[0]!;
}
