/**
 * How complex a filter may be. The parser, the code generator, the folding and both back ends
 * recurse over the expression, so an expression nested or chained thousands deep (a generated
 * `host a or host b or …` list, `((((…))))`) would overflow the stack: it is refused with a
 * stable code instead. A thousand is far past what a hand-written filter uses, and a
 * thousand-host list compiles in well under a second.
 */
import type { FilterAst, FilterNode, ArithNode } from './ast.js';
import { FilterTooComplexError } from './errors.js';
import type { Token } from './lexer.js';

export const MAX_FILTER_DEPTH = 1000;

/**
 * Refuses tokens that would nest the parser deeper than MAX_FILTER_DEPTH: each open bracket
 * is a level, and so is each `not` still waiting for its term (`not not not …`).
 */
export function checkNesting(tokens: readonly Token[]): void {
  // The `not`s pending at each open bracket level; a term's `and`/`or` ends them.
  const pending: number[] = [0];
  let depth = 1;
  for (const t of tokens) {
    switch (t.type) {
      case '(':
      case '[':
        pending.push(0);
        depth++;
        break;
      case ')':
      case ']':
        if (pending.length > 1) depth -= 1 + pending.pop()!;
        break;
      case '!':
        pending[pending.length - 1]!++;
        depth++;
        break;
      case 'AND':
      case 'OR':
        depth -= pending[pending.length - 1]!;
        pending[pending.length - 1] = 0;
        break;
    }
    if (depth > MAX_FILTER_DEPTH) throw tooDeep(t.pos);
  }
}

/** Refuses a syntax tree deeper than MAX_FILTER_DEPTH (a chain of `and`/`or` terms is as deep as it is long). */
export function checkDepth(ast: FilterAst): void {
  if (ast === null) return;
  const stack: Array<[FilterNode | ArithNode, number]> = [[ast, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_FILTER_DEPTH) throw tooDeep(node.pos);
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
}

function children(node: FilterNode | ArithNode): Array<FilterNode | ArithNode> {
  switch (node.k) {
    case 'and':
    case 'or':
    case 'rel':
    case 'bin':
      return [node.a, node.b];
    case 'not':
    case 'neg':
      return [node.a];
    case 'load':
      return [node.index];
    default:
      return [];
  }
}

function tooDeep(pos: number): FilterTooComplexError {
  return new FilterTooComplexError(
    `expression nests or chains more than ${MAX_FILTER_DEPTH} deep; split it or shorten it`,
    pos,
  );
}
