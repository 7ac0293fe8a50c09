/**
 * The folds of libpcap's optimizer that change verdicts. A cBPF program rejects a packet at
 * the first load past its end, so a test the optimizer removes can turn a reject into an
 * accept on a short packet; to give tcpdump's verdicts, both back ends must run the program
 * libpcap would run, not the one gencode wrote.
 */
import { BPF, and, atom, constCond, evalConstant, not, staticValue, stmt, type Cond } from './ir.js';
import {
  chainOf,
  computesArithmetic,
  hasProtochain,
  isStore,
  literalsOf,
  operands,
  sharedSlots,
  someLeaf,
  storesScratch,
} from './cond-queries.js';

type Atom = Extract<Cond, { t: 'atom' }>;

/**
 * What is known, where a subtree runs, of what ran before it on every path there (libpcap's
 * edge dominators), by a key that says it all: a test's outcome (`t`: the comparison, its
 * constant, which way it went) or a compound condition's value (`v`).
 */
type Fact = { test: string; k: number | null; taken: boolean } | { tree: string; value: boolean };
type Facts = ReadonlyMap<string, Fact>;

const NO_FACTS: Facts = new Map();

/**
 * At most this many facts are worked out for one condition, and held at once: a filter of
 * thousands of terms would otherwise copy and hold sets as large as itself at every level
 * (a 1,000-host `or` took seconds). Past the cap, facts are left out: fewer folds, never wrong ones.
 */
const MAX_FACTS = 64;
const MAX_HELD_FACTS = 4 * MAX_FACTS;
/** Longest chain whose items are looked at for a bypass (each try folds the rest of the chain again). */
const MAX_BYPASS_ITEMS = 32;
/** Folds of conditions that all the bypass tries of one filter may take (~0.1 s). */
const BYPASS_BUDGET = 50_000;

/**
 * Folds as libpcap's optimizer does (optimize.c: constant folding in opt_blk, jump threading
 * in opt_j with fold_edge, and the bypass of a block whose two branches meet):
 * - a test that reads no packet data (gen_true/gen_false, `0x40 == icmp-echo`) is a constant,
 *   and `X or TRUE`, `X and FALSE` lose X, loads and all (under `not` the latter accepts all);
 * - a test that repeats one that ran before it on every path, computing the same value the
 *   same way, is decided: same comparison, same outcome; and after `A == k` held, `A == k2`
 *   is false. In `X and Y`, Y runs knowing X true; in `X or Y`, knowing X false; where X can
 *   be true (or false) by several paths, what all of them know. A copy of X inside Y is
 *   known whole: `tcp port 80 or not tcp port 80` accepts all, short packets too;
 * - in `(P and R) or Y`, R goes where Y is true whenever P is: R's two outcomes lead to the
 *   same place (see bypass).
 * A chain of `and` (or of `or`) is folded as one list, whatever its grouping, and rebuilt
 * balanced. Facts are what every path to a subtree knows, not what each path knows (the
 * optimizer threads each path on its own), so this folds less than libpcap where paths
 * differ beyond the bypass's shape (docs/filter-language.md names cases `npm run fuzz` finds).
 * A subtree that stores to scratch memory stays (protochain, geneve's offsets): later loads
 * may read what it stored, so libpcap keeps it too.
 */
export function foldConstants(c: Cond): Cond {
  // protochain's loop jumps backwards, and libpcap's optimizer needs an acyclic graph: gencode
  // turns it off for the whole filter (no_optimize), so nothing folds.
  if (hasProtochain(c)) return c;
  return keepRootLoads(c, new Folder(sharedSlots(c)).fold(c));
}

/**
 * libpcap's opt_root: when the first block's test goes, its statements move into the block
 * that becomes first, unless that is a return. So the loads the filter started with still run
 * (`(ip broadcast and arp dst 172.16.0.9) or len >= len` keeps `ldh [12]`, and rejects a
 * frame too short for it), except where the whole filter folded to a constant.
 */
function keepRootLoads(original: Cond, folded: Cond): Cond {
  if (staticValue(folded) !== undefined) return folded;
  const first = firstAtom(original);
  if (first === undefined || first === firstAtom(folded) || evalConstant(first.stmts) !== undefined)
    return folded;
  // Its statements, then a test that always holds: the loads run, the verdict is the folded one's.
  const loads = atom([...first.stmts, stmt(BPF.LD | BPF.IMM, 0)], BPF.JMP | BPF.JEQ | BPF.K, 0);
  return and(loads, folded);
}

/** The atom a condition runs first. */
function firstAtom(c: Cond): Atom | undefined {
  while (c.t === 'not' || c.t === 'and' || c.t === 'or') c = c.a;
  return c.t === 'atom' ? c : undefined;
}

class Folder {
  /** Keys of conditions that compute from the packet alone (see pureKey), null if not. */
  private readonly keys = new WeakMap<Cond, string | null>();
  /** Interned keys of compound conditions, so that a key names its parts by number. */
  private readonly interned = new Map<string, number>();
  /** What holds where a condition is false ([0]) or true ([1]), worked out once. */
  private readonly known = new WeakMap<Cond, [Facts?, Facts?]>();
  /** What is known where the subtree being folded runs. */
  private readonly held = new Map<string, Fact>();
  /** How many held facts say that a test of each comparison was taken (for `A == k` then `A == k2`). */
  private readonly taken = new Map<string, number>();

  /**
   * Set while bypass tries what a part of the filter folds to: the parts inside are folded
   * without bypasses of their own, or every level would try every level below it again
   * (twelve nested `and`/`or` levels took 48 s).
   */
  private trying = false;
  /** Folds that bypass may still try; past them it gives up (fewer folds, never wrong ones), so that compiling stays fast. */
  private budget = BYPASS_BUDGET;

  /** `shared`: the scratch words some part of the filter reads that another part stored. */
  constructor(private readonly shared: ReadonlySet<number>) {}

  fold(c: Cond): Cond {
    if (this.trying) this.budget--;
    switch (c.t) {
      case 'atom': {
        const known = this.outcome(c);
        return known === undefined ? c : constCond(known);
      }
      case 'not':
        // `not not X` is X: libpcap's gen_not swaps the branches twice.
        return c.a.t === 'not' ? this.fold(c.a.a) : not(this.fold(c.a));
      case 'and':
      case 'or': {
        const known = this.treeValue(c);
        if (known !== undefined && !storesScratch(c)) return constCond(known);
        const items = operands(c, c.t);
        if (items.length > MAX_BYPASS_ITEMS || this.trying || this.budget <= 0)
          return this.foldChain(c.t, items);
        return this.foldChain(c.t, this.bypass(c.t, items));
      }
      default:
        return c;
    }
  }

  /**
   * Folds the chain `items[0] <kind> items[1] <kind> …`: each item runs knowing that those
   * before it came out `kind === 'and'` (true for `and`, false for `or`). An item that folds to
   * that value drops out; one that folds to the other decides the chain, and the items before
   * it go too, unless they store scratch words read elsewhere, or the deciding item computes
   * arithmetic: libpcap drops X in `X or 1 == 1` and `X or not (igmp and pim)` but keeps it,
   * loads and all, in `X or 3 & 1 != 0` and `X or 1 + 1 == 2` (tcpdump -d shows it).
   */
  private foldChain(kind: 'and' | 'or', items: readonly Cond[]): Cond {
    const isAnd = kind === 'and';
    const kept: Cond[] = [];
    const held: string[][] = [];
    let decided: boolean | undefined;
    let decider: Cond | undefined;
    for (const item of items) {
      const folded = this.fold(item);
      const value = staticValue(folded);
      if (value === isAnd) continue;
      if (value !== undefined) {
        decided = value;
        decider = item;
        break;
      }
      kept.push(folded);
      held.push(this.hold(item, folded, isAnd));
    }
    for (let i = held.length - 1; i >= 0; i--) this.release(held[i]!);
    if (decided !== undefined) {
      if (this.dropsBefore(kept, decider!)) return constCond(decided);
      kept.push(constCond(decided));
    }
    if (kept.length === 0) return constCond(isAnd);
    return chainOf(kind, kept);
  }

  /**
   * The bypass of libpcap's optimizer (opt_j: a block whose two branches lead to the same
   * place is skipped, its loads with it), for the shape where it matters most: in
   * `(P and R) or Y`, where Y is true whenever P is and R is not (`ip broadcast or not
   * rarp`: an IPv4 packet is no RARP), R's outcome leads to true either way, so R goes:
   * `P or Y`. Dually, `(P or R) and Y` is `P and Y`. The literals of the run go from its
   * end while they can (`not (A or B)` is read as `not A and not B`); Y is the rest of the
   * chain.
   */
  /**
   * Whether the items before the one that decided a chain go (libpcap bypasses them): not when
   * they store scratch words read elsewhere, nor when the decider computes arithmetic
   * (`X or 3 & 1 != 0`, `X or -1 != 0`). While bypass tries an outcome, a relation (storing
   * its temporaries) stays too: the decider is decided only on the path tried, and the
   * relation's block is shared with the other paths (`port 53 || ether[0x40] > 0x40 || not
   * host ::1` keeps `ether[0x40]`).
   */
  private dropsBefore(kept: readonly Cond[], decider: Cond): boolean {
    if (kept.some((k) => this.storesShared(k)) || computesArithmetic(decider)) return false;
    return !(this.trying && kept.some(storesScratch));
  }

  /**
   * Whether the last of `run` (an `and` run in an `or` chain, or dually) leads to the same
   * place whichever way it comes out: the run's other literals held, and this one came out
   * the way that ends the run, the rest of the chain is decided the way the run would have
   * decided it.
   */
  private leadsAlike(kind: 'and' | 'or', run: readonly Cond[], rest: readonly Cond[]): boolean {
    const isAnd = kind === 'and';
    const last = run[run.length - 1]!;
    if (this.storesShared(last)) return false;
    const added = run.slice(0, -1).map((l) => this.hold(l, this.fold(l), !isAnd));
    added.push(this.hold(last, this.fold(last), isAnd));
    const restValue = staticValue(this.foldChain(kind, rest));
    for (let j = added.length - 1; j >= 0; j--) this.release(added[j]!);
    return restValue === !isAnd;
  }

  private bypass(kind: 'and' | 'or', items: readonly Cond[]): Cond[] {
    this.trying = true;
    try {
      return this.bypassTried(kind, items);
    } finally {
      this.trying = false;
    }
  }

  private bypassTried(kind: 'and' | 'or', items: readonly Cond[]): Cond[] {
    const isAnd = kind === 'and';
    const inner = isAnd ? 'or' : 'and';
    const out = [...items];
    const held: string[][] = [];
    for (let i = 0; i < out.length - 1; i++) {
      const item = out[i]!;
      const literals = literalsOf(item, inner);
      const rest = out.slice(i + 1);
      // An item or a rest that is constant on its own is `X or TRUE`'s business (foldChain), not
      // the bypass's (`host ::1 and 10.0.0.1` is false, not `host ::1`); where the rest computes
      // arithmetic, libpcap keeps R (`ip[100] == 1 or (3 & 1 != 0 and ip)`).
      if (
        literals.length >= 2 &&
        staticValue(this.fold(item)) === undefined &&
        literals.length <= MAX_BYPASS_ITEMS &&
        !rest.some(computesArithmetic) &&
        staticValue(this.foldChain(kind, rest)) === undefined
      ) {
        let keep = literals.length;
        while (keep > 1 && this.leadsAlike(kind, literals.slice(0, keep), rest)) keep--;
        if (keep < literals.length) out[i] = chainOf(inner, literals.slice(0, keep));
      }
      const folded = this.fold(out[i]!);
      held.push(this.hold(out[i]!, folded, isAnd));
    }
    for (let i = held.length - 1; i >= 0; i--) this.release(held[i]!);
    return out;
  }

  /** The outcome of atom `c` that the tests before it decide (fold_edge), if any. */
  private outcome(c: Atom): boolean | undefined {
    if (this.held.size === 0) return undefined;
    const test = testKey(c);
    if (test === undefined) return undefined;
    const k = constantOf(c);
    const same = this.held.get(testFactKey(test, k, true)) ?? this.held.get(testFactKey(test, k, false));
    if (same !== undefined && 'taken' in same) return same.taken;
    // A equalled another constant, so it does not equal this one (distinct constants, distinct values).
    if (k !== null && (c.code & 0xf0) === BPF.JEQ && (this.taken.get(test) ?? 0) > 0) return false;
    return undefined;
  }

  private treeValue(c: Cond): boolean | undefined {
    if (this.held.size === 0) return undefined;
    const key = this.pureKey(c);
    if (key === undefined) return undefined;
    if (this.held.has(treeFactKey(key, true))) return true;
    return this.held.has(treeFactKey(key, false)) ? false : undefined;
  }

  /**
   * Holds what is known after `a` (folded from `original`) came out `value`: the tests that
   * ran in what is left of it, and the value of the condition as written, so that a copy of
   * it further on is known whole. Returns the keys it added, for release.
   */
  private hold(original: Cond, a: Cond, value: boolean): string[] {
    const added: string[] = [];
    const add = (key: string, fact: Fact): void => {
      if (this.held.has(key) || this.held.size >= MAX_HELD_FACTS) return;
      this.held.set(key, fact);
      if ('taken' in fact && fact.taken) this.taken.set(fact.test, (this.taken.get(fact.test) ?? 0) + 1);
      added.push(key);
    };
    const key = this.pureKey(original);
    if (key !== undefined) add(treeFactKey(key, value), { tree: key, value });
    for (const [factKey, fact] of this.factsWhen(a, value)) add(factKey, fact);
    return added;
  }

  private release(added: readonly string[]): void {
    for (const key of added) {
      const fact = this.held.get(key)!;
      this.held.delete(key);
      if ('taken' in fact && fact.taken) this.taken.set(fact.test, this.taken.get(fact.test)! - 1);
    }
  }

  /** Whether `c` stores a scratch word that another part of the filter reads (see sharedSlots). */
  private storesShared(c: Cond): boolean {
    return someLeaf(
      c,
      (leaf) => leaf.t !== 'atom' || leaf.stmts.some((s) => isStore(s) && this.shared.has(s.k)),
    );
  }

  /** What holds on every path by which `c` comes out `value`. */
  private factsWhen(c: Cond, value: boolean): Facts {
    let pair = this.known.get(c);
    if (pair === undefined) {
      pair = [undefined, undefined];
      this.known.set(c, pair);
    }
    const slot = value ? 1 : 0;
    return (pair[slot] ??= this.computeFacts(c, value));
  }

  private computeFacts(c: Cond, value: boolean): Facts {
    switch (c.t) {
      case 'atom': {
        const test = testKey(c);
        if (test === undefined) return NO_FACTS;
        const k = constantOf(c);
        return new Map([[testFactKey(test, k, value), { test, k, taken: value }]]);
      }
      case 'not':
        return this.factsWhen(c.a, !value);
      case 'and':
      case 'or': {
        const facts = new Map<string, Fact>();
        const key = this.pureKey(c);
        if (key !== undefined) facts.set(treeFactKey(key, value), { tree: key, value });
        const add = (from: Facts, onlyIf?: (key: string) => boolean): void => {
          for (const [factKey, fact] of from) {
            if (facts.size >= MAX_FACTS) return;
            if (onlyIf === undefined || onlyIf(factKey)) facts.set(factKey, fact);
          }
        };
        if (value === (c.t === 'and')) {
          // `and` true, `or` false: both sides came out `value`.
          add(this.factsWhen(c.a, value));
          add(this.factsWhen(c.b, value));
        } else {
          // Either the left side decided, or it came out the other way and the right side decided.
          const other = this.factsWhen(c.a, !value);
          const second = this.factsWhen(c.b, value);
          add(this.factsWhen(c.a, value), (k) => other.has(k) || second.has(k));
        }
        return facts;
      }
      default:
        return NO_FACTS;
    }
  }

  /**
   * A key that two conditions share when libpcap gives them the same value numbers: they
   * compute the same things from the packet in the same way and test them alike. Undefined
   * for a condition that reads a register it did not set or scratch memory, or stores to
   * scratch memory: its values depend on what ran before it.
   */
  private pureKey(c: Cond): string | undefined {
    let key = this.keys.get(c);
    if (key === undefined) {
      key = this.computeKey(c) ?? null;
      this.keys.set(c, key);
    }
    return key ?? undefined;
  }

  private computeKey(c: Cond): string | undefined {
    switch (c.t) {
      case 'atom': {
        const test = testKey(c);
        return test === undefined ? undefined : `${test}:${constantOf(c)}`;
      }
      case 'not': {
        const a = this.pureKey(c.a);
        return a === undefined ? undefined : `!${this.intern(a)}`;
      }
      case 'and':
      case 'or': {
        const a = this.pureKey(c.a);
        const b = a === undefined ? undefined : this.pureKey(c.b);
        return b === undefined
          ? undefined
          : `${c.t === 'and' ? '&' : '|'}${this.intern(a!)},${this.intern(b)}`;
      }
      default:
        return undefined;
    }
  }

  private intern(key: string): number {
    let id = this.interned.get(key);
    if (id === undefined) {
      id = this.interned.size;
      this.interned.set(key, id);
    }
    return id;
  }
}

function testFactKey(test: string, k: number | null, taken: boolean): string {
  return `t${test}|${k}|${taken}`;
}

function treeFactKey(key: string, value: boolean): string {
  return `v${key}|${value}`;
}

/** An atom's comparison: the statements that compute A (and X, for a jump on X) and the jump's opcode, not its constant. */
function testKey(c: Atom): string | undefined {
  return pureAtom(c) ? `${c.stmts.map((s) => `${s.code}:${s.k}`).join(',')}?${c.code}` : undefined;
}

/** The constant a jump compares A with; null for a jump on X (whose value the statements make). */
function constantOf(c: Atom): number | null {
  return (c.code & BPF.X) === 0 ? c.k : null;
}

/** Whether an atom computes A (and X, if its jump compares with X) from the packet alone, storing nothing. */
function pureAtom(c: Atom): boolean {
  let aSet = false;
  let xSet = false;
  for (const s of c.stmts) {
    const mode = s.code & 0xe0;
    switch (s.code & 0x07) {
      case BPF.LD:
        if (mode === BPF.MEM || (mode === BPF.IND && !xSet)) return false;
        aSet = true;
        break;
      case BPF.LDX:
        if (mode === BPF.MEM) return false;
        xSet = true;
        break;
      case BPF.ALU:
        if (!aSet || ((s.code & BPF.X) !== 0 && !xSet)) return false;
        break;
      case BPF.MISC:
        if ((s.code & 0xf8) === BPF.TXA) {
          if (!xSet) return false;
          aSet = true;
        } else {
          if (!aSet) return false;
          xSet = true;
        }
        break;
      default:
        return false;
    }
  }
  return aSet && ((c.code & BPF.X) === 0 || xSet);
}
