import type { CompareOp, Expr } from './ast.js';
import { PROTOCOL_WORDS } from './catalog.js';
import { QueryFault, type Span } from './errors.js';
import { checkCall } from './functions.js';
import { ANY, BOOL, describeType, leafType, NUM, STR, type Node, type Ty } from './ir.js';
import { resolveField } from './resolve.js';

export interface CheckedQuery {
  node: Node | null;
  limit?: number;
  faults: QueryFault[];
}

function typeFault(message: string, span: Span): QueryFault {
  return new QueryFault('QUERY_TYPE', message, span);
}

const ORDERING = new Set<CompareOp>(['<', '<=', '>', '>=']);

function checkRegexCompare(op: CompareOp, left: Node, right: Node): void {
  const [re, other] = right.ty.t === 'regex' ? [right, left] : [left, right];
  const otherType = leafType(other.ty).t;
  if (op !== '==' && op !== '!=') throw typeFault('a regular expression only matches with == or !=', re.span);
  if (otherType !== 'string' && otherType !== 'any') {
    throw typeFault(`expected ${describeType(leafType(other.ty))}, found a regular expression`, re.span);
  }
}

/** Rejects comparisons that could never be true: mismatched types, ordered booleans, objects. */
function checkComparable(op: CompareOp, left: Node, right: Node): void {
  if (left.ty.t === 'null' || right.ty.t === 'null') {
    if (op !== '==' && op !== '!=') {
      throw typeFault('null only compares with == or !=', left.ty.t === 'null' ? left.span : right.span);
    }
    return;
  }
  if (left.ty.t === 'regex' || right.ty.t === 'regex') return checkRegexCompare(op, left, right);
  const a = leafType(left.ty);
  const b = leafType(right.ty);
  for (const [side, t] of [
    [left, a],
    [right, b],
  ] as const) {
    if (t.t === 'object' || t.t === 'map') {
      const what = side.k === 'field' ? ` (${side.path})` : '';
      throw typeFault(`cannot compare an object${what}; name one of its fields`, side.span);
    }
  }
  if (a.t !== 'any' && b.t !== 'any' && a.t !== b.t) {
    // Blame the side that is not a field: `response.status == "200"` points at "200".
    const blameLeft = right.k === 'field' && left.k !== 'field';
    const [culprit, want] = blameLeft ? [left, b] : [right, a];
    throw typeFault(
      `expected ${describeType(want)}, found ${describeType(leafType(culprit.ty))}`,
      culprit.span,
    );
  }
  if (ORDERING.has(op) && (a.t === 'boolean' || b.t === 'boolean')) {
    throw typeFault('booleans only compare with == or !=', right.span);
  }
}

function compileRegex(source: string, flags: string, span: Span): RegExp {
  // RE2 and PCRE users write (?i); JavaScript (Node 20) spells it as a flag.
  const [body, allFlags] = source.startsWith('(?i)') ? [source.slice(4), 'i'] : [source, flags];
  try {
    return new RegExp(body, allFlags);
  } catch (err) {
    throw new QueryFault('QUERY_BAD_REGEX', `bad regular expression: ${(err as Error).message}`, span);
  }
}

function isNumberType(ty: Ty): boolean {
  const t = leafType(ty).t;
  return t === 'number' || t === 'any';
}

/** Names are resolved, types checked and time helpers folded; every problem is collected. */
class Checker {
  readonly faults: QueryFault[] = [];
  limit: number | undefined;

  constructor(private readonly nowUs: number) {}

  private guard(span: Span, check: () => Node): Node {
    try {
      return check();
    } catch (err) {
      if (!(err instanceof QueryFault)) throw err;
      this.faults.push(err);
      // A stand-in that satisfies every later check, so one mistake is reported once.
      return { k: 'const', value: undefined, ty: ANY, span };
    }
  }

  top(ast: Expr): Node | null {
    const terms = ast.kind === 'and' ? ast.terms : [ast];
    const kept = terms.filter((term) => !this.takeLimit(term));
    if (kept.length === 0) return null;
    if (kept.length === 1) return this.cond(kept[0]!);
    return { k: 'and', terms: kept.map((t) => this.cond(t)), ty: BOOL, span: ast.span };
  }

  /** `limit(n)` is a top-level and-term; it sets the limit and matches every entry. */
  private takeLimit(term: Expr): boolean {
    if (term.kind !== 'call' || term.name !== 'limit') return false;
    this.guard(term.span, () => {
      const [arg] = term.args;
      if (term.args.length !== 1 || !arg)
        throw new QueryFault('QUERY_BAD_ARGUMENT', 'limit() takes 1 argument', term.span);
      const n = this.value(arg);
      if (n.k !== 'const' || typeof n.value !== 'number' || !Number.isSafeInteger(n.value) || n.value < 1) {
        throw new QueryFault('QUERY_BAD_ARGUMENT', 'limit() takes a whole number ≥ 1', arg.span);
      }
      if (this.limit !== undefined)
        throw new QueryFault('QUERY_BAD_ARGUMENT', 'limit() given twice', term.span);
      this.limit = n.value;
      return n;
    });
    return true;
  }

  cond(e: Expr): Node {
    return this.guard(e.span, () => this.asCondition(this.value(e)));
  }

  private asCondition(node: Node): Node {
    const t = node.ty.t;
    if (node.k === 'const' && (t === 'boolean' || t === 'any')) return node;
    if (node.k !== 'field' && t === 'boolean') return node;
    if (
      node.k === 'field' &&
      (t === 'boolean' || t === 'any' || (t === 'list' && leafType(node.ty).t === 'boolean'))
    ) {
      return { k: 'truthy', operand: node, ty: BOOL, span: node.span };
    }
    throw typeFault(
      `expected a condition (a comparison, a protocol or a boolean field), found ${describeType(node.ty)}`,
      node.span,
    );
  }

  value(e: Expr): Node {
    return this.guard(e.span, () => this.check(e));
  }

  private check(e: Expr): Node {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { k: e.kind, terms: e.terms.map((t) => this.cond(t)), ty: BOOL, span: e.span };
      case 'not':
        return { k: 'not', operand: this.cond(e.operand), ty: BOOL, span: e.span };
      case 'compare': {
        const left = this.value(e.left);
        const right = this.value(e.right);
        checkComparable(e.op, left, right);
        return { k: 'compare', op: e.op, left, right, ty: BOOL, span: e.span };
      }
      case 'arith': {
        const signs = [1, ...e.ops.map((op) => (op === '+' ? 1 : -1))];
        return this.arith(
          e.terms.map((t) => this.value(t)),
          signs,
          e.span,
        );
      }
      case 'negate':
        return this.arith([this.value(e.operand)], [-1], e.span);
      case 'literal':
        return { k: 'const', value: e.value, ty: literalType(e.value), span: e.span };
      case 'regex':
        return {
          k: 'const',
          value: compileRegex(e.source, e.flags, e.span),
          ty: { t: 'regex' },
          span: e.span,
        };
      case 'call':
        if (e.name === 'limit') {
          throw new QueryFault('QUERY_SYNTAX', 'limit(n) must be a top-level and-term', e.span);
        }
        return checkCall(e, (arg) => this.value(arg), this.nowUs);
      case 'path':
        return this.path(e.head, e);
    }
  }

  /** A sum of numbers, folded to a constant when every term is one (`now() - minutes(5)`). */
  private arith(terms: Node[], signs: number[], span: Span): Node {
    let total = 0;
    for (const [i, term] of terms.entries()) {
      if (!isNumberType(term.ty))
        throw typeFault(`expected number, found ${describeType(term.ty)}`, term.span);
      total = term.k === 'const' && typeof term.value === 'number' ? total + signs[i]! * term.value : NaN;
    }
    if (!Number.isNaN(total)) return { k: 'const', value: total, ty: NUM, span };
    return { k: 'arith', terms, signs, ty: NUM, span };
  }

  private path(head: string, e: Extract<Expr, { kind: 'path' }>): Node {
    const word = e.steps.length === 0 ? PROTOCOL_WORDS.get(head) : undefined;
    if (!word)
      return resolveField(head, { start: e.span.start, end: e.span.start + head.length }, e.steps, e.span);
    const field = resolveField(word.field, e.span, [], e.span);
    const value: Node = { k: 'const', value: word.value, ty: STR, span: e.span };
    return { k: 'compare', op: '==', left: field, right: value, ty: BOOL, span: e.span };
  }
}

function literalType(value: string | number | boolean | null): Ty {
  if (value === null) return { t: 'null' };
  return typeof value === 'string' ? STR : typeof value === 'number' ? NUM : BOOL;
}

/** Resolves and type-checks a parsed query. `nowUs` is the value of `now()`. */
export function checkQuery(ast: Expr | null, nowUs: number): CheckedQuery {
  const checker = new Checker(nowUs);
  const node = ast === null ? null : checker.top(ast);
  return { node, limit: checker.limit, faults: checker.faults };
}
