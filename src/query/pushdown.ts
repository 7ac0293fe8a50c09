import type { CompareOp } from './ast.js';
import { COLUMN_BY_PATH, type IndexedColumn } from './columns.js';
import type { Node } from './ir.js';
import { flip } from './ops.js';

/**
 * The SQL part of a query over the columns of INDEXED_COLUMNS. `where` selects a superset of
 * the matching entries (every row it drops fails the predicate); when `exact` it selects
 * exactly them and the predicate adds nothing. Regular expressions call the SQL function
 * `meshtap_regexp(source, flags, value)` (see `sqlRegexp`), which the database must define.
 */
export interface Pushdown {
  where: string | null;
  params: (string | number)[];
  exact: boolean;
}

interface Fragment {
  sql: string;
  params: (string | number)[];
  exact: boolean;
  /** Comparisons inside: SQLite limits expression depth, so large fragments are left out. */
  atoms: number;
}

const MAX_ATOMS = 200;

const SQL_OPS: Record<CompareOp, string> = {
  '==': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

function atom(sql: string, params: (string | number)[]): Fragment {
  return { sql, params, exact: true, atoms: 1 };
}

function columnOf(node: Node): IndexedColumn | undefined {
  if (node.k !== 'field' || node.plural || node.scalar === undefined) return undefined;
  if (node.steps.some((s) => s.s !== 'prop')) return undefined;
  return COLUMN_BY_PATH.get(node.path);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * SQLite orders text by UTF-8 bytes, JavaScript by UTF-16 units; the two agree against an
 * ASCII constant (at the first difference both see a non-ASCII character as the larger).
 */
function columnVersusConstant(op: CompareOp, col: IndexedColumn, value: unknown): Fragment | null {
  const c = col.column;
  if (value === null) {
    if (op === '==') return atom(`${c} IS NULL`, []);
    return op === '!=' ? atom(`${c} IS NOT NULL`, []) : null;
  }
  if (value instanceof RegExp) {
    if (col.kind !== 'string' || (op !== '==' && op !== '!=')) return null;
    return atom(`meshtap_regexp(?, ?, ${c}) = ${op === '==' ? 1 : 0}`, [value.source, value.flags]);
  }
  if (typeof value !== col.kind) return null;
  if (typeof value === 'string' && op !== '==' && op !== '!=' && !isAscii(value)) return null;
  return atom(`${c} ${SQL_OPS[op]} ?`, [value as string | number]);
}

function compareFragment(node: Extract<Node, { k: 'compare' }>): Fragment | null {
  const left = columnOf(node.left);
  const right = columnOf(node.right);
  if (left && node.right.k === 'const') return columnVersusConstant(node.op, left, node.right.value);
  if (right && node.left.k === 'const') return columnVersusConstant(flip(node.op), right, node.left.value);
  if (!left || !right || left.kind !== right.kind) return null;
  if (left.kind === 'string' && node.op !== '==' && node.op !== '!=') return null;
  return atom(`${left.column} ${SQL_OPS[node.op]} ${right.column}`, []);
}

/** The strings starting with p are exactly those in [p, p with its last code point + 1). */
function prefixRange(c: string, prefix: string): Fragment | null {
  if (prefix === '') return atom(`${c} IS NOT NULL`, []);
  const chars = Array.from(prefix);
  const last = chars.pop()!.codePointAt(0)!;
  if (last >= 0x10ffff) return null;
  const upper = chars.join('') + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1);
  return { sql: `${c} >= ? AND ${c} < ?`, params: [prefix, upper], exact: true, atoms: 2 };
}

function callFragment(node: Extract<Node, { k: 'call' }>): Fragment | null {
  const [subject, needle] = node.args;
  const col = subject && columnOf(subject);
  if (!col || col.kind !== 'string' || needle?.k !== 'const' || typeof needle.value !== 'string') return null;
  if (node.fn === 'startsWith') return prefixRange(col.column, needle.value);
  if (node.fn === 'contains') return atom(`instr(${col.column}, ?) > 0`, [needle.value]);
  return null;
}

function combine(parts: Fragment[], joiner: ' AND ' | ' OR ', exact: boolean): Fragment {
  return {
    sql: parts.map((p) => `(${p.sql})`).join(joiner),
    params: parts.flatMap((p) => p.params),
    exact: exact && parts.every((p) => p.exact),
    atoms: parts.reduce((n, p) => n + p.atoms, 0),
  };
}

/** Conjunction: whatever translates is kept (a superset), up to MAX_ATOMS comparisons. */
function andFragment(terms: Node[]): Fragment | null {
  const kept: Fragment[] = [];
  let atoms = 0;
  for (const term of terms) {
    const f = translate(term);
    if (f && atoms + f.atoms <= MAX_ATOMS) {
      kept.push(f);
      atoms += f.atoms;
    }
  }
  if (kept.length === 0) return null;
  return combine(kept, ' AND ', kept.length === terms.length);
}

/** Disjunction: only when every branch translates (an untranslatable branch could match anything). */
function orFragment(terms: Node[]): Fragment | null {
  const parts: Fragment[] = [];
  for (const term of terms) {
    const f = translate(term);
    if (!f) return null;
    parts.push(f);
  }
  const joined = combine(parts, ' OR ', true);
  return joined.atoms <= MAX_ATOMS ? joined : null;
}

function translate(node: Node): Fragment | null {
  switch (node.k) {
    case 'const':
      return node.value === true || node.value === false ? atom(node.value ? '1' : '0', []) : null;
    case 'and':
      return andFragment(node.terms);
    case 'or':
      return orFragment(node.terms);
    case 'not': {
      // Only an exact fragment can be negated; IS NOT 1 makes SQL NULL (missing) count as false.
      const inner = translate(node.operand);
      return inner?.exact ? { ...inner, sql: `(${inner.sql}) IS NOT 1` } : null;
    }
    case 'compare':
      return compareFragment(node);
    case 'call':
      return callFragment(node);
    default:
      return null;
  }
}

export function pushdownOf(node: Node | null): Pushdown {
  if (node === null) return { where: null, params: [], exact: true };
  const f = translate(node);
  return f ? { where: f.sql, params: f.params, exact: f.exact } : { where: null, params: [], exact: false };
}

const regexCache = new Map<string, RegExp>();

/** `meshtap_regexp(source, flags, value)`: 1 or 0 for a string value, NULL otherwise. */
export function sqlRegexp(source: unknown, flags: unknown, value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const key = `${String(flags)}/${String(source)}`;
  let re = regexCache.get(key);
  if (!re) {
    if (regexCache.size >= 256) regexCache.clear();
    re = new RegExp(String(source), String(flags));
    regexCache.set(key, re);
  }
  return re.test(value) ? 1 : 0;
}
