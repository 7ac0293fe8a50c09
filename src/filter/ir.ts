/**
 * Intermediate form shared by both back ends: libpcap's "blocks" — straight-line classic BPF
 * statements ending in one conditional jump — combined with and/or/not. Statements use real
 * cBPF opcodes, so the BPF back end only has to lay out jumps and the JS back end translates
 * opcode by opcode; both therefore execute the same loads in the same order.
 */

export const BPF = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  W: 0x00,
  H: 0x08,
  B: 0x10,
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  LEN: 0x80,
  MSH: 0xa0,
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  K: 0x00,
  X: 0x08,
  TAX: 0x00,
  TXA: 0x80,
} as const;

/** One cBPF instruction as the kernel and libpcap lay it out. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface Stmt {
  code: number;
  k: number;
}

export type Cond =
  | { t: 'atom'; stmts: Stmt[]; code: number; k: number }
  | { t: 'and' | 'or'; a: Cond; b: Cond }
  | { t: 'not'; a: Cond }
  | ProtochainCond
  | BranchCond;

/**
 * Straight-line code with one internal forward branch (`pre; if (A == k) taken; post`), then a
 * final test: what libpcap emits to compute the inner offsets after `geneve`.
 */
export interface BranchCond {
  t: 'branch';
  pre: Stmt[];
  k: number;
  taken: Stmt[];
  post: Stmt[];
  code: number;
  kk: number;
}

/** libpcap's protochain loop; it needs a backward jump, so it stays one node until the back ends. */
export interface ProtochainCond {
  t: 'protochain';
  ipv6: boolean;
  /** Absolute offset of the network-layer header. */
  nl: number;
  proto: number;
  reg: number;
}

export function stmt(code: number, k = 0): Stmt {
  return { code, k: k >>> 0 };
}

export function atom(stmts: Stmt[], code: number, k: number): Cond {
  return { t: 'atom', stmts, code, k: k >>> 0 };
}

export const and = (a: Cond, b: Cond): Cond => ({ t: 'and', a, b });
export const or = (a: Cond, b: Cond): Cond => ({ t: 'or', a, b });
export const not = (a: Cond): Cond => ({ t: 'not', a });

/** libpcap's gen_true/gen_false: `ld #k; jeq #0` blocks. */
export function constCond(value: boolean): Cond {
  return atom([stmt(BPF.LD | BPF.IMM, value ? 0 : 1)], BPF.JMP | BPF.JEQ | BPF.K, 0);
}

/**
 * staticValue of each condition, worked out once: conditions are never changed once made, and
 * folding asks it of a subtree again at every level above it (a left-deep chain of 1,000
 * terms made that quadratic).
 */
const staticValues = new WeakMap<Cond, boolean | null>();

/** Statically known value of a condition, or undefined (used to spot always-false filters). */
export function staticValue(c: Cond): boolean | undefined {
  const known = staticValues.get(c);
  if (known !== undefined) return known ?? undefined;
  const value = computeStaticValue(c);
  staticValues.set(c, value ?? null);
  return value;
}

function computeStaticValue(c: Cond): boolean | undefined {
  switch (c.t) {
    case 'atom':
      return constantAtom(c);
    case 'not': {
      const v = staticValue(c.a);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const a = staticValue(c.a);
      const b = staticValue(c.b);
      // A false right side rejects even when the left aborts on a short packet.
      if (a === false || b === false) return false;
      return a === true && b === true ? true : undefined;
    }
    case 'or': {
      const a = staticValue(c.a);
      const b = staticValue(c.b);
      if (a === true) return true;
      if (a === false) return b;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A, X and the scratch words after straight-line code that never reads the packet; undefined if it does. */
export interface ConstantState {
  a: number;
  x: number;
  scratch: Map<number, number>;
}

/**
 * Runs statements that only move constants (as libpcap's optimizer propagates them); undefined
 * when they read the packet or its length, a scratch word they did not store, or would divide
 * by zero.
 */
export function evalConstant(stmts: readonly Stmt[]): ConstantState | undefined {
  const state: ConstantState = { a: 0, x: 0, scratch: new Map() };
  for (const s of stmts) {
    const mode = s.code & 0xe0;
    switch (s.code & 0x07) {
      case BPF.LD:
      case BPF.LDX: {
        const v = mode === BPF.IMM ? s.k : mode === BPF.MEM ? state.scratch.get(s.k) : undefined;
        if (v === undefined) return undefined;
        if ((s.code & 0x07) === BPF.LD) state.a = v;
        else state.x = v;
        break;
      }
      case BPF.ST:
        state.scratch.set(s.k, state.a);
        break;
      case BPF.STX:
        state.scratch.set(s.k, state.x);
        break;
      case BPF.ALU: {
        const v = alu(s.code & 0xf0, state.a, (s.code & BPF.X) !== 0 ? state.x : s.k);
        if (v === undefined) return undefined;
        state.a = v;
        break;
      }
      case BPF.MISC:
        if ((s.code & 0xf8) === BPF.TXA) state.a = state.x;
        else state.x = state.a;
        break;
      default:
        return undefined;
    }
  }
  return state;
}

/**
 * The outcome of an atom that never reads the packet (gen_true/gen_false, an arithmetic
 * relation of constants such as `0x40 == icmp-echo`), as libpcap's optimizer folds it.
 */
function constantAtom(c: Extract<Cond, { t: 'atom' }>): boolean | undefined {
  const state = evalConstant(c.stmts);
  if (state !== undefined) return jumpOutcome(c.code, state.a, (c.code & BPF.X) !== 0 ? state.x : c.k);
  return (c.code & BPF.X) === 0 && maskedToZero(c.stmts) ? jumpOutcome(c.code, 0, c.k) : undefined;
}

/**
 * Whether the atom's last statement makes A zero whatever was loaded (`and #0`, `mul #0`: an
 * IPv6 prefix's all-zero mask words), with nothing stored on the way. libpcap's optimizer
 * turns that statement into `ld #0` and drops the loads that fed it, so they never reject a
 * packet too short for them.
 */
function maskedToZero(stmts: readonly Stmt[]): boolean {
  const last = stmts[stmts.length - 1];
  if (last === undefined || last.k !== 0) return false;
  if (last.code !== (BPF.ALU | BPF.AND | BPF.K) && last.code !== (BPF.ALU | BPF.MUL | BPF.K)) return false;
  return !stmts.some((s) => (s.code & 0x07) === BPF.ST || (s.code & 0x07) === BPF.STX);
}

/** Whether a conditional jump with this opcode is taken for A = `a` against `k`. */
function jumpOutcome(code: number, a: number, k: number): boolean | undefined {
  switch (code & 0xf0) {
    case BPF.JEQ:
      return a === k;
    case BPF.JGT:
      return a > k;
    case BPF.JGE:
      return a >= k;
    case BPF.JSET:
      return (a & k) !== 0;
    default:
      return undefined;
  }
}

/**
 * One cBPF ALU operation on unsigned 32-bit values, as libpcap's interpreter runs it and its
 * optimizer folds it: a shift by 32 or more gives 0; undefined for a division or modulus by
 * zero (the interpreter rejects the packet there).
 */
export function alu(op: number, a: number, k: number): number | undefined {
  switch (op) {
    case BPF.ADD:
      return (a + k) >>> 0;
    case BPF.SUB:
      return (a - k) >>> 0;
    case BPF.MUL:
      return Math.imul(a, k) >>> 0;
    case BPF.DIV:
      return k === 0 ? undefined : Math.floor(a / k) >>> 0;
    case BPF.MOD:
      return k === 0 ? undefined : (a % k) >>> 0;
    case BPF.OR:
      return (a | k) >>> 0;
    case BPF.AND:
      return (a & k) >>> 0;
    case BPF.XOR:
      return (a ^ k) >>> 0;
    case BPF.LSH:
      return k >= 32 ? 0 : (a << k) >>> 0;
    case BPF.RSH:
      return k >= 32 ? 0 : a >>> k;
    case BPF.NEG:
      return -a >>> 0;
    default:
      return undefined;
  }
}
