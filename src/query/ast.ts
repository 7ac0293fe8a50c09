import type { Span } from './errors.js';

/** Comparison operators of the query language. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** One step of a field path: `.name`, `["key"]` or `[3]`. */
export type PathStep =
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'key'; key: string; span: Span }
  | { kind: 'index'; index: number; span: Span };

/** The parsed query, every node with the character range it came from. */
export type Expr =
  | { kind: 'or' | 'and'; terms: Expr[]; span: Span }
  | { kind: 'not'; operand: Expr; span: Span }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; span: Span }
  /** `a + b - c`: flat, so a long sum nests nothing; `ops[i]` comes before `terms[i + 1]`. */
  | { kind: 'arith'; terms: Expr[]; ops: ('+' | '-')[]; span: Span }
  | { kind: 'negate'; operand: Expr; span: Span }
  | { kind: 'literal'; value: string | number | boolean | null; span: Span }
  | { kind: 'regex'; source: string; flags: string; span: Span }
  | { kind: 'call'; name: string; nameSpan: Span; args: Expr[]; span: Span }
  /** A bare word (`http`, `flags`) or a path starting with one (`request.headers["x"]`). */
  | { kind: 'path'; head: string; steps: PathStep[]; span: Span };
