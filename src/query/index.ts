import type { Entry } from '../dissect/entry.js';
import { checkQuery } from './check.js';
import { compileTest } from './compile.js';
import { problemOf, QueryError, QueryFault, type QueryProblem } from './errors.js';
import { parseQuery } from './parser.js';
import { pushdownOf, type Pushdown } from './pushdown.js';

export { parseQuery } from './parser.js';
export { QueryError, type QueryErrorCode, type QueryPosition, type QueryProblem } from './errors.js';
export { INDEXED_COLUMNS, type IndexedColumn } from './columns.js';
export { sqlRegexp, type Pushdown } from './pushdown.js';
export type { Expr } from './ast.js';

export interface CompileOptions {
  /** The value of `now()`, µs since the epoch; the time of compilation by default. */
  nowUs?: number;
}

export interface CompiledQuery {
  text: string;
  /** True when the entry matches (never throws, whatever the entry holds). */
  predicate: (entry: Entry) => boolean;
  /** From `limit(n)`, when the query has one. */
  limit?: number;
  /** The SQL part over the index columns; see Pushdown. */
  pushdown: Pushdown;
}

function analyse(text: string, options: CompileOptions) {
  try {
    const checked = checkQuery(parseQuery(text), options.nowUs ?? Date.now() * 1000);
    return { ...checked, problems: checked.faults.map((f) => problemOf(text, f)) };
  } catch (err) {
    if (!(err instanceof QueryFault)) throw err;
    return { node: null, limit: undefined, problems: [problemOf(text, err)] };
  }
}

/** Every problem of the query (syntax stops at the first one), without running it. */
export function validateQuery(text: string, options: CompileOptions = {}): QueryProblem[] {
  return analyse(text, options).problems;
}

/** Compiles a query once into a predicate and its SQL push-down; throws QueryError. */
export function compileQuery(text: string, options: CompileOptions = {}): CompiledQuery {
  const { node, limit, problems } = analyse(text, options);
  if (problems.length > 0) throw new QueryError(problems[0]!);
  const predicate = node === null ? () => true : compileTest(node);
  return { text, predicate, limit, pushdown: pushdownOf(node) };
}
