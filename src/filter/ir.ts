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

/** Statically known value of a condition, or undefined (used to spot always-false filters). */
export function staticValue(c: Cond): boolean | undefined {
  switch (c.t) {
    case 'atom':
      if (
        c.stmts.length === 1 &&
        c.stmts[0]!.code === (BPF.LD | BPF.IMM) &&
        c.code === (BPF.JMP | BPF.JEQ | BPF.K)
      ) {
        return c.stmts[0]!.k === c.k;
      }
      return undefined;
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
