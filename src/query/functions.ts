import type { Expr } from './ast.js';
import { QueryFault, type Span } from './errors.js';
import { BOOL, describeType, leafType, NUM, type FunctionName, type Node, type Ty } from './ir.js';
import { DURATION_UNITS_US, parseDatetimeUs } from './time.js';

type CallExpr = Extract<Expr, { kind: 'call' }>;

const TEXT_FUNCTIONS = new Set(['startsWith', 'endsWith', 'contains']);
const KNOWN = [
  'startsWith',
  'endsWith',
  'contains',
  'len',
  'datetime',
  'now',
  'limit',
  ...DURATION_UNITS_US.keys(),
];

function badArgument(message: string, span: Span): QueryFault {
  return new QueryFault('QUERY_BAD_ARGUMENT', message, span);
}

function typeFault(want: string, node: Node): QueryFault {
  return new QueryFault('QUERY_TYPE', `expected ${want}, found ${describeType(node.ty)}`, node.span);
}

function arity(e: CallExpr, n: number): void {
  if (e.args.length !== n) {
    throw badArgument(`${e.name}() takes ${n} argument${n === 1 ? '' : 's'}`, e.span);
  }
}

function constant(value: number, span: Span): Node {
  return { k: 'const', value, ty: NUM, span };
}

function datetime(e: CallExpr): Node {
  arity(e, 1);
  const arg = e.args[0]!;
  if (arg.kind !== 'literal' || typeof arg.value !== 'string') {
    throw badArgument('datetime() takes a quoted ISO 8601 date, e.g. "2026-11-21T10:00:00Z"', arg.span);
  }
  const us = parseDatetimeUs(arg.value);
  if (us === undefined) throw badArgument(`not an ISO 8601 date: ${JSON.stringify(arg.value)}`, arg.span);
  return constant(us, e.span);
}

function duration(e: CallExpr, unitUs: number, value: (arg: Expr) => Node): Node {
  arity(e, 1);
  const n = value(e.args[0]!);
  if (n.k !== 'const' || typeof n.value !== 'number') {
    throw badArgument(`${e.name}() takes a number`, e.args[0]!.span);
  }
  return constant(n.value * unitUs, e.span);
}

/** `len(x)`: characters of a string, elements of a list, keys of an object. */
function len(e: CallExpr, value: (arg: Expr) => Node): Node {
  arity(e, 1);
  const arg = value(e.args[0]!);
  const t = arg.ty.t;
  if (t !== 'string' && t !== 'list' && t !== 'map' && t !== 'object' && t !== 'any') {
    throw typeFault('string or list', arg);
  }
  return { k: 'call', fn: 'len', args: [arg], ty: NUM, span: e.span };
}

function isScalar(ty: Ty): boolean {
  return ty.t === 'string' || ty.t === 'number' || ty.t === 'boolean' || ty.t === 'any';
}

/** startsWith/endsWith/contains(subject, text); `contains(list, x)` asks whether x is an element. */
function text(e: CallExpr, value: (arg: Expr) => Node): Node {
  arity(e, 2);
  const subject = value(e.args[0]!);
  const needle = value(e.args[1]!);
  const elementType = leafType(subject.ty);
  const membership = e.name === 'contains' && subject.ty.t === 'list';
  if (membership ? !isScalar(elementType) : elementType.t !== 'string' && elementType.t !== 'any') {
    throw typeFault(membership ? 'a list of strings, numbers or booleans' : 'string', subject);
  }
  const wanted: Ty = membership ? elementType : { t: 'string' };
  const ok = needle.ty.t === 'any' || (wanted.t === 'any' ? isScalar(needle.ty) : needle.ty.t === wanted.t);
  if (!ok) throw typeFault(wanted.t === 'any' ? 'string, number or boolean' : wanted.t, needle);
  return { k: 'call', fn: e.name as FunctionName, args: [subject, needle], ty: BOOL, span: e.span };
}

/** Checks a helper call; time helpers become constants here. */
export function checkCall(e: CallExpr, value: (arg: Expr) => Node, nowUs: number): Node {
  if (TEXT_FUNCTIONS.has(e.name)) return text(e, value);
  const unit = DURATION_UNITS_US.get(e.name);
  if (unit !== undefined) return duration(e, unit, value);
  switch (e.name) {
    case 'len':
      return len(e, value);
    case 'datetime':
      return datetime(e);
    case 'now':
      arity(e, 0);
      return constant(nowUs, e.span);
    default: {
      const close = KNOWN.find((k) => k.toLowerCase() === e.name.toLowerCase());
      const hint = close ? ` (did you mean ${close}?)` : `; known: ${KNOWN.join(', ')}`;
      throw new QueryFault('QUERY_UNKNOWN_FUNCTION', `unknown function ${e.name}()${hint}`, e.nameSpan);
    }
  }
}
