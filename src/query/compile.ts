import type { CompareOp } from './ast.js';
import type { Node, ResolvedStep } from './ir.js';
import { anyLeaf, compareValues, constantTest, flip } from './ops.js';
import {
  applyStep,
  dynamicKeyStep,
  indexStep,
  isObject,
  lookupStep,
  mapPropStep,
  mapValues,
  Multi,
  propStep,
  scalarOf,
  type Getter,
  type StepFn,
  type Test,
} from './runtime.js';

/**
 * Turns a checked query into closures, once: evaluating an entry calls them and never looks
 * at the syntax tree again (regular expressions are compiled by the checker, also once).
 */

function stepFunction(step: ResolvedStep): StepFn {
  switch (step.s) {
    case 'prop':
      return propStep(step.name);
    case 'mapProp':
      return mapPropStep(step.name);
    case 'index':
      return indexStep(step.index);
    case 'lookup':
      return lookupStep(step.key, step.caseInsensitive, step.valueKey);
    case 'dynamicKey':
      return dynamicKeyStep(step.key);
  }
}

export function compileField(node: Extract<Node, { k: 'field' }>): Getter {
  const [first, ...rest] = node.steps;
  if (first?.s !== 'prop') throw new Error('a field path starts with an envelope name');
  const root = first.name;
  // A loop, not nested closures: a path may be long (steps below free-form values are unchecked).
  const steps = rest.map(stepFunction);
  const get: Getter = (entry) => {
    let value = (entry as Record<string, unknown>)[root];
    for (let i = 0; i < steps.length && value !== undefined; i++) value = applyStep(value, steps[i]!);
    return value;
  };
  const kind = node.scalar;
  if (kind === undefined) return get;
  return (entry) => scalarOf(kind, get(entry));
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null;
}

function lengthOf(v: unknown): number | undefined {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  return isObject(v) ? Object.keys(v).length : undefined;
}

/** `contains`: substring of a string, element of a list; a Multi asks each of its values. */
function containsValue(v: unknown, needle: unknown): boolean {
  if (v instanceof Multi) return v.values.some((x) => containsValue(x, needle));
  if (Array.isArray(v)) return v.some((x) => x === needle);
  return typeof v === 'string' && typeof needle === 'string' && v.includes(needle);
}

function compileText(fn: 'startsWith' | 'endsWith' | 'contains', subject: Getter, needle: Node): Test {
  const match =
    fn === 'startsWith'
      ? (x: unknown, n: string) => typeof x === 'string' && x.startsWith(n)
      : (x: unknown, n: string) => typeof x === 'string' && x.endsWith(n);
  if (needle.k === 'const') {
    const n = needle.value;
    if (fn === 'contains') return (entry) => containsValue(subject(entry), n);
    if (typeof n !== 'string') return () => false;
    const test = (x: unknown) => match(x, n);
    return (entry) => anyLeaf(subject(entry), test);
  }
  const needleOf = compileValue(needle);
  if (fn === 'contains') {
    return (entry) => {
      const s = subject(entry);
      return anyLeaf(needleOf(entry), (n) => containsValue(s, n));
    };
  }
  return (entry) => {
    const s = subject(entry);
    return anyLeaf(needleOf(entry), (n) => typeof n === 'string' && anyLeaf(s, (x) => match(x, n)));
  };
}

function compileAgainstConstant(op: CompareOp, side: Getter, constant: unknown): Test {
  if (constant === null || constant === undefined) {
    if (op === '==') return (entry) => isMissing(side(entry));
    return op === '!=' ? (entry) => !isMissing(side(entry)) : () => false;
  }
  const test = constantTest(op, constant);
  return (entry) => test(side(entry));
}

function compileCompare(node: Extract<Node, { k: 'compare' }>): Test {
  const { op, left, right } = node;
  if (right.k === 'const') return compileAgainstConstant(op, compileValue(left), right.value);
  if (left.k === 'const') return compileAgainstConstant(flip(op), compileValue(right), left.value);
  const l = compileValue(left);
  const r = compileValue(right);
  return (entry) => compareValues(op, l(entry), r(entry));
}

function compileAll(tests: Test[]): Test {
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (entry) => a(entry) && b(entry);
  }
  return (entry) => {
    for (const t of tests) if (!t(entry)) return false;
    return true;
  };
}

function compileAny(tests: Test[]): Test {
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (entry) => a(entry) || b(entry);
  }
  return (entry) => {
    for (const t of tests) if (t(entry)) return true;
    return false;
  };
}

/** A condition: `and`, `or`, `not`, comparisons, text helpers, boolean fields. */
export function compileTest(node: Node): Test {
  switch (node.k) {
    case 'and':
      return compileAll(node.terms.map(compileTest));
    case 'or':
      return compileAny(node.terms.map(compileTest));
    case 'not': {
      const inner = compileTest(node.operand);
      return (entry) => !inner(entry);
    }
    case 'compare':
      return compileCompare(node);
    case 'call': {
      if (node.fn === 'len') break;
      return compileText(node.fn, compileValue(node.args[0]!), node.args[1]!);
    }
    case 'const': {
      const value = node.value === true;
      return () => value;
    }
    default:
      break;
  }
  const value = compileValue(node.k === 'truthy' ? node.operand : node);
  const isTrue = (x: unknown) => x === true;
  return (entry) => anyLeaf(value(entry), isTrue);
}

/** A value: fields, constants, `len()`, sums, and conditions used as booleans. */
export function compileValue(node: Node): Getter {
  switch (node.k) {
    case 'const': {
      const value = node.value;
      return () => value;
    }
    case 'field':
      return compileField(node);
    case 'arith': {
      const terms = node.terms.map(compileValue);
      const signs = node.signs;
      return (entry) => {
        let total = 0;
        for (let i = 0; i < terms.length; i++) {
          const v = terms[i]!(entry);
          if (typeof v !== 'number') return undefined;
          total += signs[i]! * v;
        }
        return total;
      };
    }
    case 'call':
      if (node.fn === 'len') {
        const arg = compileValue(node.args[0]!);
        return (entry) => mapValues(arg(entry), lengthOf);
      }
      return compileTest(node);
    default:
      return compileTest(node);
  }
}
