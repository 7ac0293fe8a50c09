import type { CompareOp, Expr, PathStep } from './ast.js';
import { QueryFault, type Span } from './errors.js';
import { tokenize, type Token, type TokenType } from './lexer.js';

/** Deeper nesting than this (parentheses, `not`, unary minus, calls) is refused, so no stack can overflow. */
export const MAX_DEPTH = 64;

const COMPARE_OPS = new Set<TokenType>(['==', '!=', '<', '<=', '>', '>=']);

const DESCRIBE: Partial<Record<TokenType, string>> = {
  eof: 'end of query',
  ident: 'a name',
  number: 'a number',
  string: 'a string',
  regex: 'a regular expression',
};

function describe(token: Token): string {
  return DESCRIBE[token.type] ?? `'${token.text}'`;
}

function join(a: Span, b: Span): Span {
  return { start: a.start, end: b.end };
}

/**
 * Recursive descent over the grammar of docs/query-language.md:
 *
 *   query    := [ or ] EOF
 *   or       := and { ("or" | "||") and }
 *   and      := unary { ("and" | "&&") unary }
 *   unary    := ("not" | "!") unary | compare
 *   compare  := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum ]
 *   sum      := sign { ("+" | "-") sign }
 *   sign     := "-" sign | primary
 *   primary  := literal | regex | "(" or ")" | name "(" [ or { "," or } ] ")" | path
 *   path     := name { "." name | "[" (string | number) "]" }
 */
class Parser {
  private at = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private take(): Token {
    const token = this.tokens[this.at]!;
    if (token.type !== 'eof') this.at++;
    return token;
  }

  private expect(type: TokenType, what: string): Token {
    const token = this.peek();
    if (token.type !== type) {
      throw new QueryFault('QUERY_SYNTAX', `expected ${what}, found ${describe(token)}`, token.span);
    }
    return this.take();
  }

  private enter(span: Span): void {
    if (++this.depth > MAX_DEPTH) {
      throw new QueryFault('QUERY_TOO_COMPLEX', `nesting deeper than ${MAX_DEPTH}`, span);
    }
  }

  query(): Expr | null {
    if (this.peek().type === 'eof') return null;
    const expr = this.or();
    const rest = this.peek();
    if (rest.type !== 'eof') {
      const hint = rest.type === ')' ? 'unbalanced )' : `unexpected ${describe(rest)}`;
      throw new QueryFault('QUERY_SYNTAX', `${hint}; expected and, or or end of query`, rest.span);
    }
    return expr;
  }

  /** `and`/`or` chains become one n-ary node: long chains need no recursion later. */
  private chain(kind: 'and' | 'or', operand: () => Expr): Expr {
    const first = operand();
    const terms = [first];
    while (this.peek().type === kind) {
      this.take();
      terms.push(operand());
    }
    if (terms.length === 1) return first;
    return { kind, terms, span: join(first.span, terms[terms.length - 1]!.span) };
  }

  private or(): Expr {
    return this.chain('or', () => this.and());
  }

  private and(): Expr {
    return this.chain('and', () => this.unary());
  }

  private unary(): Expr {
    const op = this.openPrefix('not');
    return op ? this.closePrefix(op, 'not', this.unary()) : this.compare();
  }

  /** Takes a prefix operator (`not`, `-`) if one comes next; each is one level of nesting. */
  private openPrefix(type: TokenType): Token | undefined {
    const token = this.peek();
    if (token.type !== type) return undefined;
    this.take();
    this.enter(token.span);
    return token;
  }

  private closePrefix(op: Token, kind: 'not' | 'negate', operand: Expr): Expr {
    this.depth--;
    return { kind, operand, span: join(op.span, operand.span) };
  }

  private compare(): Expr {
    const left = this.sum();
    const opToken = this.peek();
    if (!COMPARE_OPS.has(opToken.type)) return left;
    this.take();
    const right = this.sum();
    if (COMPARE_OPS.has(this.peek().type)) {
      throw new QueryFault('QUERY_SYNTAX', 'comparisons do not chain; use and', this.peek().span);
    }
    return { kind: 'compare', op: opToken.type as CompareOp, left, right, span: join(left.span, right.span) };
  }

  private sum(): Expr {
    const first = this.sign();
    const terms = [first];
    const ops: ('+' | '-')[] = [];
    for (let op = this.peek().type; op === '+' || op === '-'; op = this.peek().type) {
      this.take();
      ops.push(op);
      terms.push(this.sign());
    }
    if (ops.length === 0) return first;
    return { kind: 'arith', terms, ops, span: join(first.span, terms[terms.length - 1]!.span) };
  }

  private sign(): Expr {
    const op = this.openPrefix('-');
    return op ? this.closePrefix(op, 'negate', this.sign()) : this.primary();
  }

  private primary(): Expr {
    const token = this.take();
    switch (token.type) {
      case 'number':
        return { kind: 'literal', value: token.num, span: token.span };
      case 'string':
        return { kind: 'literal', value: token.text, span: token.span };
      case 'true':
      case 'false':
        return { kind: 'literal', value: token.type === 'true', span: token.span };
      case 'null':
        return { kind: 'literal', value: null, span: token.span };
      case 'regex':
        return { kind: 'regex', source: token.text, flags: token.flags, span: token.span };
      case '(':
        return this.group(token);
      case 'ident':
        return this.peek().type === '(' ? this.call(token) : this.path(token);
      default:
        throw new QueryFault(
          'QUERY_SYNTAX',
          `expected a value, field or condition, found ${describe(token)}`,
          token.span,
        );
    }
  }

  private group(open: Token): Expr {
    this.enter(open.span);
    const inner = this.or();
    const close = this.expect(')', ')');
    this.depth--;
    return { ...inner, span: join(open.span, close.span) };
  }

  private call(name: Token): Expr {
    this.take(); // (
    this.enter(name.span);
    const args: Expr[] = [];
    if (this.peek().type !== ')') {
      args.push(this.or());
      while (this.peek().type === ',') {
        this.take();
        args.push(this.or());
      }
    }
    const close = this.expect(')', ', or )');
    this.depth--;
    return { kind: 'call', name: name.text, nameSpan: name.span, args, span: join(name.span, close.span) };
  }

  private path(head: Token): Expr {
    const steps: PathStep[] = [];
    let end = head.span;
    for (;;) {
      const token = this.peek();
      if (token.type === '.') {
        this.take();
        const name = this.take();
        // After a dot any word is a name, keywords included (`response.null` is just unknown).
        if (name.type !== 'ident' && !/^[a-z]+$/.test(name.text)) {
          throw new QueryFault(
            'QUERY_SYNTAX',
            `expected a field name after '.', found ${describe(name)}`,
            name.span,
          );
        }
        steps.push({ kind: 'name', name: name.text, span: name.span });
        end = name.span;
      } else if (token.type === '[') {
        this.take();
        steps.push(this.bracket());
        end = this.expect(']', ']').span;
      } else {
        return { kind: 'path', head: head.text, steps, span: join(head.span, end) };
      }
    }
  }

  private bracket(): PathStep {
    const key = this.take();
    if (key.type === 'string') return { kind: 'key', key: key.text, span: key.span };
    if (key.type === 'number' && Number.isSafeInteger(key.num))
      return { kind: 'index', index: key.num, span: key.span };
    throw new QueryFault(
      'QUERY_SYNTAX',
      `expected a quoted name or an index in [ ], found ${describe(key)}`,
      key.span,
    );
  }
}

/** Parses a query into its syntax tree; `null` for an empty query (it matches every entry). */
export function parseQuery(text: string): Expr | null {
  return new Parser(tokenize(text)).query();
}
