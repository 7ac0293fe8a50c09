import type { CompareOp } from './ast.js';
import { Multi } from './runtime.js';

/**
 * Comparison semantics (docs/query-language.md, "Semantics"): values of different types
 * never compare (every operator is false, `!=` too); strings and numbers order, booleans
 * only (in)equal; a regular expression matches strings with `==` (found anywhere; anchor
 * with ^ $) and `!=` (not found); objects compare with nothing.
 */
export function scalarCompare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (b instanceof RegExp || a instanceof RegExp) return regexCompare(op, a, b);
  const type = typeof a;
  if (type !== typeof b || (type !== 'string' && type !== 'number' && type !== 'boolean')) return false;
  const x = a as string | number;
  const y = b as string | number;
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return type !== 'boolean' && x < y;
    case '<=':
      return type !== 'boolean' && x <= y;
    case '>':
      return type !== 'boolean' && x > y;
    case '>=':
      return type !== 'boolean' && x >= y;
  }
}

function regexCompare(op: CompareOp, a: unknown, b: unknown): boolean {
  const [re, s] = b instanceof RegExp ? [b, a] : [a as RegExp, b];
  if (typeof s !== 'string' || !(re instanceof RegExp)) return false;
  if (op === '==') return re.test(s);
  return op === '!=' && !re.test(s);
}

/** Lists nested deeper than this (only odd free-form values could be) are not looked into. */
const MAX_LIST_DEPTH = 32;

/** True when `test` holds for some leaf of a (possibly nested) list or Multi, or for the value. */
export function anyLeaf(v: unknown, test: (x: unknown) => boolean, depth = 0): boolean {
  if (v === undefined || v === null) return false;
  const items = v instanceof Multi ? v.values : Array.isArray(v) ? v : null;
  if (items === null) return test(v);
  if (depth >= MAX_LIST_DEPTH) return false;
  for (const item of items) if (anyLeaf(item, test, depth + 1)) return true;
  return false;
}

function isPlural(v: unknown): boolean {
  return v instanceof Multi || Array.isArray(v);
}

/** A compiled test of one side against a constant: `x == "GET"`, `x >= 200`, `x == r"^/api"`. */
export function constantTest(op: CompareOp, b: unknown): (a: unknown) => boolean {
  const scalar = scalarTest(op, b);
  if (op !== '!=') return (a) => anyLeaf(a, scalar);
  // On a list `!=` asks that no element be equal (the negation of the list's `==`).
  const equal = scalarTest('==', b);
  return (a) => (isPlural(a) ? !anyLeaf(a, equal) : a !== undefined && a !== null && scalar(a));
}

function scalarTest(op: CompareOp, b: unknown): (a: unknown) => boolean {
  if (b instanceof RegExp) return (a) => regexCompare(op, a, b);
  if (op === '==') return (a) => a === b;
  if (op === '!=') return (a) => typeof a === typeof b && a !== b;
  if (typeof b === 'number' || typeof b === 'string') {
    const type = typeof b;
    if (op === '<') return (a) => typeof a === type && (a as number) < (b as number);
    if (op === '<=') return (a) => typeof a === type && (a as number) <= (b as number);
    if (op === '>') return (a) => typeof a === type && (a as number) > (b as number);
    return (a) => typeof a === type && (a as number) >= (b as number);
  }
  return () => false;
}

/** Both sides computed per entry (`src.port == dst.port`): lists on either side compare element-wise. */
export function compareValues(op: CompareOp, a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  if (isPlural(b) && !isPlural(a)) return compareValues(flip(op), b, a);
  if (isPlural(a)) {
    if (op === '!=') return !anyLeaf(a, (x) => compareValues('==', x, b));
    return anyLeaf(a, (x) => compareValues(op, x, b));
  }
  return scalarCompare(op, a, b);
}

/** The operator that gives the same answer with its operands swapped. */
export function flip(op: CompareOp): CompareOp {
  switch (op) {
    case '<':
      return '>';
    case '<=':
      return '>=';
    case '>':
      return '<';
    case '>=':
      return '<=';
    default:
      return op;
  }
}
