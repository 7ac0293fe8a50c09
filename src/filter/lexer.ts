import { FilterSyntaxError } from './errors.js';
import { KEYWORDS, NAMED_CONSTANTS } from './tokens.js';
import { isIPv6Literal } from './addr.js';

/** One scanner token; `type` is a keyword/token name or the punctuation character itself. */
export interface Token {
  type: string;
  text: string;
  /** NUM tokens: the value (u32). */
  num: number;
  pos: number;
}

const PUNCT2 = new Map([
  ['>=', 'GEQ'],
  ['<=', 'LEQ'],
  ['!=', 'NEQ'],
  ['==', '='],
  ['<<', 'LSH'],
  ['>>', 'RSH'],
  ['&&', 'AND'],
  ['||', 'OR'],
]);
const PUNCT1 = new Set('+-*/%:[]!<>()&|^=');

// The scanner's patterns (flex picks the longest match; on a tie, the earlier rule).
const N = '(?:0[xX][0-9A-Fa-f]+|[0-9]+)';
const B = '[0-9A-Fa-f]{1,2}';
const B2 = '[0-9A-Fa-f]{4}';
const MAC_RE = new RegExp(
  `(?:${B}:${B}:${B}:${B}:${B}:${B}|${B}-${B}-${B}-${B}-${B}-${B}|${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}|${B2}\\.${B2}\\.${B2}|${B2}${B2}${B2})`,
  'y',
);
const NUM_RE = new RegExp(N, 'y');
const HID_RE = new RegExp(`${N}\\.${N}(?:\\.${N}(?:\\.${N})?)?`, 'y');
const V6_CHARS_RE = /[0-9A-Fa-f:.xX]+/y;
const BOGUS_ETHER_RE = new RegExp(`${B}:+(?:${B}:+)+`, 'y');
const ID_RE = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const BACKSLASH_RE = /\\[^ !()\n\t]+/y;

function matchAt(re: RegExp, s: string, pos: number): string {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0] : '';
}

/** Longest prefix of the hex/colon/dot run at `pos` that is one of the scanner's IPv6 forms. */
function matchV6(s: string, pos: number): string {
  const run = matchAt(V6_CHARS_RE, s, pos);
  for (let len = run.length; len >= 2; len--) {
    if (isIPv6Literal(run.slice(0, len), true)) return run.slice(0, len);
  }
  return '';
}

/** Parses a NUM token the way libpcap's stou() does: 0x hex, leading-0 octal, else decimal. */
function parseNumber(text: string, pos: number): number {
  let base = 10;
  let digits = text;
  if (text.length > 1 && text[0] === '0') {
    if (text[1] === 'x' || text[1] === 'X') {
      base = 16;
      digits = text.slice(2);
    } else {
      base = 8;
      digits = text.slice(1);
      if (/[89]/.test(digits)) throw new FilterSyntaxError(`number ${text} contains non-octal digit`, pos);
    }
  }
  const value = parseInt(digits, base);
  if (value > 0xffffffff) throw new FilterSyntaxError(`number ${text} overflows 32 bits`, pos);
  return value;
}

interface Candidate {
  type: string;
  text: string;
}

function candidates(s: string, pos: number): Candidate[] {
  const out: Candidate[] = [];
  const two = s.slice(pos, pos + 2);
  if (PUNCT2.has(two)) out.push({ type: PUNCT2.get(two)!, text: two });
  if (PUNCT1.has(s[pos]!)) out.push({ type: s[pos]!, text: s[pos]! });
  out.push({ type: 'EID', text: matchAt(MAC_RE, s, pos) });
  out.push({ type: 'NUM', text: matchAt(NUM_RE, s, pos) });
  out.push({ type: 'HID', text: matchAt(HID_RE, s, pos) });
  out.push({ type: 'HID6', text: matchV6(s, pos) });
  out.push({ type: 'BOGUS_EID', text: matchAt(BOGUS_ETHER_RE, s, pos) });
  out.push({ type: 'ID', text: matchAt(ID_RE, s, pos) });
  out.push({ type: 'BACKSLASH_ID', text: matchAt(BACKSLASH_RE, s, pos) });
  return out;
}

function longest(cands: Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of cands) if (c.text.length > 0 && (!best || c.text.length > best.text.length)) best = c;
  return best;
}

function makeToken(c: Candidate, pos: number): Token {
  switch (c.type) {
    case 'NUM':
      return { type: 'NUM', text: c.text, num: parseNumber(c.text, pos), pos };
    case 'BOGUS_EID':
      throw new FilterSyntaxError(`bogus ethernet address ${c.text}`, pos);
    case 'BACKSLASH_ID':
      return { type: 'ID', text: c.text.slice(1), num: 0, pos };
    case 'ID': {
      const kw = KEYWORDS.get(c.text);
      if (kw === 'UNSUPPORTED') throw new FilterSyntaxError(`'${c.text}' is not supported by meshtap`, pos);
      if (kw) return { type: kw, text: c.text, num: 0, pos };
      const constant = NAMED_CONSTANTS.get(c.text);
      if (constant !== undefined) return { type: 'NUM', text: c.text, num: constant, pos };
      return { type: 'ID', text: c.text, num: 0, pos };
    }
    default:
      return { type: c.type, text: c.text, num: 0, pos };
  }
}

/** Splits an expression into tokens with their character positions; the last token is EOF. */
export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < expr.length) {
    const ch = expr[pos]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      pos++;
      continue;
    }
    const best = longest(candidates(expr, pos));
    if (!best) throw new FilterSyntaxError(`unexpected character '${ch}'`, pos);
    tokens.push(makeToken(best, pos));
    pos += best.text.length;
  }
  tokens.push({ type: 'EOF', text: '', num: 0, pos: expr.length });
  return tokens;
}
