import { QueryFault, type Span } from './errors.js';

export type TokenType =
  | 'ident'
  | 'number'
  | 'string'
  | 'regex'
  | 'and'
  | 'or'
  | 'not'
  | 'true'
  | 'false'
  | 'null'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '.'
  | '+'
  | '-'
  | 'eof';

export interface Token {
  type: TokenType;
  /** Identifier name, decoded string or regex source, or the punctuation itself. */
  text: string;
  /** `number` tokens: the value. */
  num: number;
  /** `regex` tokens: the flags (`i` or ''). */
  flags: string;
  span: Span;
}

/** Longer than this is refused outright: the query is text a person typed or a tool generated. */
export const MAX_QUERY_LENGTH = 65_536;

const KEYWORDS = new Map<string, TokenType>([
  ['and', 'and'],
  ['or', 'or'],
  ['not', 'not'],
  ['true', 'true'],
  ['false', 'false'],
  ['null', 'null'],
]);

// Two-character operators are tried before one-character ones.
const PUNCT2 = new Map<string, TokenType>([
  ['==', '=='],
  ['!=', '!='],
  ['<=', '<='],
  ['>=', '>='],
  ['&&', 'and'],
  ['||', 'or'],
]);
const PUNCT1 = new Map<string, TokenType>([
  ['<', '<'],
  ['>', '>'],
  ['!', 'not'],
  ['(', '('],
  [')', ')'],
  ['[', '['],
  [']', ']'],
  [',', ','],
  ['.', '.'],
  ['+', '+'],
  ['-', '-'],
]);

const SIMPLE_ESCAPES = new Map([
  ['"', '"'],
  ["'", "'"],
  ['\\', '\\'],
  ['/', '/'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['b', '\b'],
  ['f', '\f'],
  ['0', '\0'],
]);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** True when the string has no unpaired UTF-16 surrogate (SQLite would store U+FFFD instead). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  private code(at = this.pos): number {
    return this.text.charCodeAt(at);
  }

  private token(type: TokenType, start: number, text: string, num = 0, flags = ''): Token {
    return { type, text, num, flags, span: { start, end: this.pos } };
  }

  next(): Token {
    while (this.pos < this.text.length && isSpace(this.code())) this.pos++;
    const start = this.pos;
    if (start >= this.text.length) return this.token('eof', start, '');
    const c = this.code();
    const quote = this.text[start + 1];
    if (c === 114 /* r */ && (quote === '"' || quote === "'")) return this.regex(start);
    if (isIdentStart(c)) return this.word(start);
    if (isDigit(c)) return this.number(start);
    if (c === 34 || c === 39) return this.string(start);
    return this.punct(start);
  }

  private word(start: number): Token {
    while (this.pos < this.text.length && isIdentPart(this.code())) this.pos++;
    const text = this.text.slice(start, this.pos);
    return this.token(KEYWORDS.get(text) ?? 'ident', start, text);
  }

  private digits(): number {
    const from = this.pos;
    while (this.pos < this.text.length && isDigit(this.code())) this.pos++;
    return this.pos - from;
  }

  private number(start: number): Token {
    this.digits();
    if (this.text[this.pos] === '.' && isDigit(this.code(this.pos + 1))) {
      this.pos++;
      this.digits();
    }
    const e = this.text[this.pos];
    if (e === 'e' || e === 'E') {
      const save = this.pos;
      this.pos++;
      if (this.text[this.pos] === '+' || this.text[this.pos] === '-') this.pos++;
      if (this.digits() === 0) this.pos = save;
    }
    if (this.pos < this.text.length && isIdentPart(this.code())) {
      throw new QueryFault('QUERY_SYNTAX', 'malformed number', { start, end: this.pos + 1 });
    }
    const text = this.text.slice(start, this.pos);
    const num = Number(text);
    if (!Number.isFinite(num))
      throw new QueryFault('QUERY_SYNTAX', 'number out of range', { start, end: this.pos });
    return this.token('number', start, text, num);
  }

  /** Reads a quoted body; `raw` keeps backslash escapes as written (regular expressions). */
  private quoted(start: number, raw: boolean): string {
    const quote = this.text[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) {
        throw new QueryFault('QUERY_SYNTAX', 'unterminated string', { start, end: this.pos });
      }
      const ch = this.text[this.pos]!;
      if (ch === quote) {
        this.pos++;
        return out;
      }
      if (ch !== '\\') {
        out += ch;
        this.pos++;
        continue;
      }
      if (raw) {
        // `\"` must not end the literal; the regex engine gets the escape unchanged.
        out += this.text.slice(this.pos, this.pos + 2);
        this.pos += 2;
        continue;
      }
      out += this.escape();
    }
  }

  private escape(): string {
    const at = this.pos;
    const e = this.text[at + 1] ?? '';
    const simple = SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(at + 2, at + 6))) {
      this.pos += 6;
      return String.fromCharCode(parseInt(this.text.slice(at + 2, at + 6), 16));
    }
    throw new QueryFault('QUERY_SYNTAX', `bad escape \\${e}`, { start: at, end: at + 2 });
  }

  private string(start: number): Token {
    const value = this.quoted(start, false);
    if (!isWellFormed(value)) {
      throw new QueryFault('QUERY_SYNTAX', 'string is not well-formed Unicode (lone surrogate)', {
        start,
        end: this.pos,
      });
    }
    return this.token('string', start, value);
  }

  private regex(start: number): Token {
    this.pos++; // the `r`
    const source = this.quoted(start, true);
    let flags = '';
    if (this.text[this.pos] === 'i') {
      flags = 'i';
      this.pos++;
    }
    if (this.pos < this.text.length && isIdentPart(this.code())) {
      throw new QueryFault('QUERY_SYNTAX', 'unknown regular expression flag (only i)', {
        start: this.pos,
        end: this.pos + 1,
      });
    }
    return this.token('regex', start, source, 0, flags);
  }

  private punct(start: number): Token {
    const two = PUNCT2.get(this.text.slice(start, start + 2));
    if (two) {
      this.pos += 2;
      return this.token(two, start, this.text.slice(start, start + 2));
    }
    const ch = this.text[start]!;
    const one = PUNCT1.get(ch);
    if (one) {
      this.pos++;
      return this.token(one, start, ch);
    }
    const hint = ch === '=' ? ' (compare with ==)' : ch === '&' || ch === '|' ? ` (use ${ch}${ch})` : '';
    throw new QueryFault('QUERY_SYNTAX', `unexpected character '${ch}'${hint}`, { start, end: start + 1 });
  }
}

/** Splits a query into tokens; the last token is `eof`. Throws QueryFault on bad input. */
export function tokenize(text: string): Token[] {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QueryFault('QUERY_TOO_COMPLEX', `query longer than ${MAX_QUERY_LENGTH} characters`, {
      start: MAX_QUERY_LENGTH,
      end: text.length,
    });
  }
  const scanner = new Scanner(text);
  const tokens: Token[] = [];
  for (;;) {
    const token = scanner.next();
    tokens.push(token);
    if (token.type === 'eof') return tokens;
  }
}
