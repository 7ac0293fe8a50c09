/**
 * What the folding asks of a condition tree: its chains as lists and back, which leaves
 * store or read scratch memory, whether it computes arithmetic or holds a protochain.
 */
import { BPF, and, not, or, type Cond, type Stmt } from './ir.js';

export type Leaf = Exclude<Cond, { t: 'and' | 'or' | 'not' }>;

/** Whether `c` holds a protochain test (whose loop turns libpcap's optimizer off). */
export function hasProtochain(c: Cond): boolean {
  return someLeaf(c, (leaf) => leaf.t === 'protochain');
}

/**
 * `items[0] <kind> items[1] <kind> …` grouped as a balanced tree: the same tests in the same
 * order as any grouping, but as deep as the logarithm of its length, where a chain of the
 * operands of every `port` of a 1,000-port list grouped from the left is thousands deep.
 */
export function chainOf(kind: 'and' | 'or', items: readonly Cond[]): Cond {
  if (items.length === 1) return items[0]!;
  const half = items.length >> 1;
  const a = chainOf(kind, items.slice(0, half));
  const b = chainOf(kind, items.slice(half));
  return kind === 'and' ? and(a, b) : or(a, b);
}

/**
 * `c` as a chain of `kind`, as deep as it goes: nested chains of `kind` join it,
 * `not (a or b)` is read as `not a and not b` (dually for `or`), and `not not a` as `a`.
 */
export function literalsOf(c: Cond, kind: 'and' | 'or'): Cond[] {
  const dual = kind === 'and' ? 'or' : 'and';
  const out: Cond[] = [];
  const visit = (x: Cond): void => {
    if (x.t === kind) {
      visit(x.a);
      visit(x.b);
    } else if (x.t === 'not' && x.a.t === 'not') {
      visit(x.a.a);
    } else if (x.t === 'not' && x.a.t === dual) {
      for (const y of operands(x.a, dual)) visit(y.t === 'not' ? y.a : not(y));
    } else out.push(x);
  };
  visit(c);
  return out;
}

/** The operands of a chain of `kind` nodes, left to right, whatever its grouping. */
export function operands(c: Cond, kind: 'and' | 'or'): Cond[] {
  if (c.t === 'not' && c.a.t === 'not') return operands(c.a.a, kind);
  if (c.t !== kind) return [c];
  return [...operands(c.a, kind), ...operands(c.b, kind)];
}

/**
 * The scratch words that some atom reads without having stored them itself: what protochain
 * and geneve store for later loads. The other stores are an arithmetic relation's own
 * temporaries, dead once it has run, so skipping it loses nothing (libpcap's use_conflict
 * looks at the same thing).
 */
export function sharedSlots(root: Cond): Set<number> {
  const shared = new Set<number>();
  const visit = (c: Cond): void => {
    switch (c.t) {
      case 'atom': {
        const stored = new Set<number>();
        for (const s of c.stmts) {
          if (isStore(s)) stored.add(s.k);
          else if (
            ((s.code & 0x07) === BPF.LD || (s.code & 0x07) === BPF.LDX) &&
            (s.code & 0xe0) === BPF.MEM
          ) {
            if (!stored.has(s.k)) shared.add(s.k);
          }
        }
        return;
      }
      case 'not':
        visit(c.a);
        return;
      case 'and':
      case 'or':
        visit(c.a);
        visit(c.b);
        return;
      case 'protochain':
        shared.add(c.reg);
        return;
      case 'branch':
        for (const s of [...c.pre, ...c.taken, ...c.post]) if (isStore(s)) shared.add(s.k);
        return;
    }
  };
  visit(root);
  return shared;
}

/** Whether `c` stores to scratch memory (protochain and geneve's offsets do, as does every relation for its temporaries). */
export function storesScratch(c: Cond): boolean {
  return someLeaf(c, (leaf) => leaf.t !== 'atom' || leaf.stmts.some(isStore));
}

/**
 * Whether `c` computes arithmetic: an ALU operation on X, or a negation, whose result is
 * stored (as gen_arth and gen_neg emit; `3 & 1`, `-1`). libpcap folds such code later than the
 * rest, and keeps what it would have dropped before a plain constant (`X or 1 == 1`).
 */
export function computesArithmetic(c: Cond): boolean {
  const computes = (s: Stmt): boolean =>
    (s.code & 0x07) === BPF.ALU && ((s.code & BPF.X) !== 0 || (s.code & 0xf0) === BPF.NEG);
  return someLeaf(
    c,
    (leaf) =>
      leaf.t === 'atom' && leaf.stmts.some((s, i) => computes(s) && leaf.stmts[i + 1]?.code === BPF.ST),
  );
}

/** Whether `test` holds for some leaf of `c` (an atom, protochain or branch). */
export function someLeaf(c: Cond, test: (leaf: Leaf) => boolean): boolean {
  switch (c.t) {
    case 'not':
      return someLeaf(c.a, test);
    case 'and':
    case 'or':
      return someLeaf(c.a, test) || someLeaf(c.b, test);
    default:
      return test(c);
  }
}

export function isStore(s: Stmt): boolean {
  return (s.code & 0x07) === BPF.ST || (s.code & 0x07) === BPF.STX;
}
