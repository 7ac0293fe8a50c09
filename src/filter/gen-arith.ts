import { BPF, and, atom, evalConstant, not, stmt, type Cond, type Stmt } from './ir.js';
import type { GenState } from './state.js';
import type { ArithNode, RelOp } from './ast.js';
import { genIpFrag, genProtoAbbrev } from './gen-ip.js';
import { semanticError } from './errors.js';

/** libpcap's `struct arth`: code leaving the value in scratch register `reg`, plus guards. */
interface Arth {
  s: Stmt[];
  b: Cond | undefined;
  reg: number;
}

const ALU_OPS: Record<string, number> = {
  '+': BPF.ADD,
  '-': BPF.SUB,
  '*': BPF.MUL,
  '/': BPF.DIV,
  '%': BPF.MOD,
  '&': BPF.AND,
  '|': BPF.OR,
  '^': BPF.XOR,
  '<<': BPF.LSH,
  '>>': BPF.RSH,
};
const SIZES: Record<number, number> = { 1: BPF.B, 2: BPF.H, 4: BPF.W };
const NETWORK_PROTOS = new Set([
  'ip',
  'arp',
  'rarp',
  'atalk',
  'decnet',
  'sca',
  'lat',
  'moprc',
  'mopdl',
  'ip6',
]);
const TRANSPORT_PROTOS = new Set(['sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp']);

const andOpt = (a: Cond | undefined, b: Cond): Cond => (a ? and(a, b) : b);

function loadi(st: GenState, v: number): Arth {
  const reg = st.allocReg();
  return { s: [stmt(BPF.LD | BPF.IMM, v), stmt(BPF.ST, reg)], b: undefined, reg };
}

/** X := variable part of `off` + index value (or just the index). */
function indexIntoX(st: GenState, inst: Arth, varpart: Stmt[] | undefined): Stmt[] {
  if (!varpart) return [stmt(BPF.LDX | BPF.MEM, inst.reg)];
  return [
    ...varpart,
    stmt(BPF.LD | BPF.MEM, inst.reg),
    stmt(BPF.ALU | BPF.ADD | BPF.X),
    stmt(BPF.MISC | BPF.TAX),
  ];
}

/**
 * `proto[index : size]` (gen_load): guarded by "packet is proto" tests. A constant index is
 * added to the load's offset here, modulo 2^32, as libpcap's optimizer folds it: `ip[-2]`
 * reads the ethertype, where adding 2^32 - 2 to X at run time would go out of bounds.
 */
function genLoad(st: GenState, proto: string, inst: Arth, size: number, addend = 0): Arth {
  const regno = st.allocReg();
  st.freeReg(inst.reg);
  const code = SIZES[size];
  if (code === undefined) semanticError('data size must be 1, 2, or 4');
  const index = evalConstant(inst.s)?.scratch.get(inst.reg);
  if (index !== undefined) inst.s = [];
  /** X (or nothing) for the variable part, then the load at `base` plus the addend and the index. */
  const load = (varpart: Stmt[] | undefined, base: number): Stmt[] => {
    // (The addend comes only with link and network loads at a constant offset; see genArith.)
    const off = (base + addend) >>> 0;
    if (index === undefined) return [...indexIntoX(st, inst, varpart), stmt(BPF.LD | BPF.IND | code, off)];
    const k = (off + index) >>> 0;
    return varpart ? [...varpart, stmt(BPF.LD | BPF.IND | code, k)] : [stmt(BPF.LD | BPF.ABS | code, k)];
  };
  if (proto === 'link') {
    inst.s.push(...load(st.varpart(st.offLinkhdr), st.offLinkhdr.constant));
  } else if (NETWORK_PROTOS.has(proto)) {
    inst.s.push(...load(st.varpart(st.offLinkpl), st.offLinkpl.constant + st.offNl));
    inst.b = andOpt(inst.b, genProtoAbbrev(st, proto));
  } else if (TRANSPORT_PROTOS.has(proto)) {
    const off = st.offLinkpl.constant + st.offNl;
    inst.s.push(
      ...st.loadxIpHdrLen(),
      ...(index === undefined
        ? [
            stmt(BPF.LD | BPF.MEM, inst.reg),
            stmt(BPF.ALU | BPF.ADD | BPF.X),
            stmt(BPF.MISC | BPF.TAX),
            stmt(BPF.LD | BPF.IND | code, off),
          ]
        : [stmt(BPF.LD | BPF.IND | code, (off + index) >>> 0)]),
    );
    let b = and(genProtoAbbrev(st, proto), genIpFrag(st));
    b = andOpt(inst.b, b);
    inst.b = and(genProtoAbbrev(st, 'ip'), b);
  } else if (proto === 'icmp6') {
    inst.b = andOpt(inst.b, genProtoAbbrev(st, 'ip6'));
    inst.b = and(inst.b, st.cmp('linkpl', 6, BPF.B, 58));
    inst.s.push(...load(st.varpart(st.offLinkpl), st.offLinkpl.constant + st.offNl + 40));
  } else {
    semanticError(
      proto === 'radio' ? 'radio information not present in capture' : 'unsupported index operation',
    );
  }
  inst.reg = regno;
  inst.s.push(stmt(BPF.ST, regno));
  return inst;
}

/**
 * What libpcap's optimizer refuses once it has folded the right operand to a constant
 * (opt_stmt, fold_op): a division or modulus by zero, and a shift of a value that is not
 * constant by more than 31 (`ip[0] / (1 - 1)`, `len >> -1`; a constant shifted that far folds
 * to 0).
 */
function refuseFoldedOperand(op: string, a0: Arth, a1: Arth): void {
  const right = valueOf(a1);
  if (right === undefined) return;
  if (op === '/' && right === 0) semanticError('division by zero');
  if (op === '%' && right === 0) semanticError('modulus by zero');
  if ((op === '<<' || op === '>>') && right > 31 && valueOf(a0) === undefined)
    semanticError('shift by more than 31 bits');
}

/** The value an operand stores in its register, when its statements compute it from constants alone. */
function valueOf(a: Arth): number | undefined {
  return evalConstant(a.s)?.scratch.get(a.reg);
}

/**
 * What libpcap's gen_arth refuses: it looks only at the first statement of the right operand,
 * which loads its leftmost number (a load's index comes first). So `1 << -32` (load 32, then
 * negate) and `1 << 32 + 0` are refused like `1 << 32`, while `1 << -31` is accepted;
 * `1 % 0 + 5` (`%` has no precedence: the divisor is `0 + 5`) and `len / ip[0]` (index 0)
 * are a modulus and a division by zero; `len >> ether[40]` is a shift by more than 31.
 */
function refuseFirstStatement(op: string, right: ArithNode): void {
  let first = right;
  while (first.k === 'load' || first.k === 'neg' || first.k === 'bin')
    first = first.k === 'load' ? first.index : first.a;
  if (first.k !== 'num') return;
  if (op === '/' && first.value === 0) semanticError('division by zero');
  if (op === '%' && first.value === 0) semanticError('modulus by zero');
  if ((op === '<<' || op === '>>') && first.value > 31) semanticError('shift by more than 31 bits');
}

function genArth(st: GenState, op: string, a0: Arth, a1: Arth): Arth {
  refuseFoldedOperand(op, a0, a1);
  a0.s.push(
    ...a1.s,
    stmt(BPF.LDX | BPF.MEM, a1.reg),
    stmt(BPF.LD | BPF.MEM, a0.reg),
    stmt(BPF.ALU | BPF.X | ALU_OPS[op]!),
  );
  st.freeReg(a0.reg);
  st.freeReg(a1.reg);
  a0.reg = st.allocReg();
  a0.s.push(stmt(BPF.ST, a0.reg));
  // libpcap keeps only the left operand's guards here (`ip[0] + tcp[0]` does not test for TCP).
  return a0;
}

function genArith(st: GenState, n: ArithNode): Arth {
  switch (n.k) {
    case 'num':
      return loadi(st, n.value);
    case 'len': {
      const reg = st.allocReg();
      return { s: [stmt(BPF.LD | BPF.LEN), stmt(BPF.ST, reg)], b: undefined, reg };
    }
    case 'load': {
      // libpcap's peephole turns `ld #c; add x; tax; ld [x + off]` into `tax; ld [x + off + c]`:
      // for `proto[c + e]` at a constant link or network offset the constant joins the offset
      // (modulo 2^32) instead of wrapping X at run time. Other shapes keep the addition.
      const atConstantOffset =
        n.proto === 'link'
          ? !st.offLinkhdr.isVariable
          : NETWORK_PROTOS.has(n.proto) && !st.offLinkpl.isVariable;
      if (n.index.k !== 'bin' || n.index.op !== '+' || !atConstantOffset)
        return genLoad(st, n.proto, genArith(st, n.index), n.size);
      const first = genArith(st, n.index.a);
      const c = evalConstant(first.s)?.scratch.get(first.reg);
      if (c === undefined)
        return genLoad(st, n.proto, genArth(st, '+', first, genArith(st, n.index.b)), n.size);
      st.freeReg(first.reg);
      return genLoad(st, n.proto, genArith(st, n.index.b), n.size, c);
    }
    case 'neg': {
      const a = genArith(st, n.a);
      a.s.push(stmt(BPF.LD | BPF.MEM, a.reg), stmt(BPF.ALU | BPF.NEG), stmt(BPF.ST, a.reg));
      return a;
    }
    case 'bin':
      refuseFirstStatement(n.op, n.b);
      return genArth(st, n.op, genArith(st, n.a), genArith(st, n.b));
  }
}

const REL_CODE: Record<RelOp, [number, boolean]> = {
  '>': [BPF.JGT, false],
  '>=': [BPF.JGE, false],
  '=': [BPF.JEQ, false],
  '<=': [BPF.JGT, true],
  '<': [BPF.JGE, true],
  '!=': [BPF.JEQ, true],
};

/** `arth relop arth` (gen_relation): the guards of both sides, then the comparison. */
export function genRelation(st: GenState, op: RelOp, an: ArithNode, bn: ArithNode): Cond {
  const a0 = genArith(st, an);
  const a1 = genArith(st, bn);
  const [jmp, reversed] = REL_CODE[op];
  const s = [...a0.s, ...a1.s, stmt(BPF.LDX | BPF.MEM, a1.reg), stmt(BPF.LD | BPF.MEM, a0.reg)];
  let b: Cond;
  if (jmp === BPF.JEQ) {
    s.push(stmt(BPF.ALU | BPF.SUB | BPF.X));
    b = atom(s, BPF.JMP | BPF.JEQ | BPF.K, 0);
  } else {
    b = atom(s, BPF.JMP | jmp | BPF.X, 0);
  }
  if (reversed) b = not(b);
  st.freeReg(a0.reg);
  st.freeReg(a1.reg);
  const guard = a0.b ? (a1.b ? and(a0.b, a1.b) : a0.b) : a1.b;
  return guard ? and(guard, b) : b;
}

/** `less N` / `greater N` on the original (wire) length. */
export function genLen(greater: boolean, n: number): Cond {
  const b = atom([stmt(BPF.LD | BPF.LEN)], BPF.JMP | (greater ? BPF.JGE : BPF.JGT) | BPF.K, n);
  return greater ? b : not(b);
}

/** `byte N op V` (gen_byteop), relative to the link-layer header. */
export function genByteop(st: GenState, op: string, idx: number, val: number): Cond {
  switch (op) {
    case '=':
      return st.cmp('linkhdr', idx, BPF.B, val);
    case '<':
      return st.ncmp('linkhdr', idx, BPF.B, 0xffffffff, BPF.JGE, true, val);
    case '>':
      return st.ncmp('linkhdr', idx, BPF.B, 0xffffffff, BPF.JGT, false, val);
    default: {
      // libpcap emits only the ALU step here (no load): the test sees whatever A holds.
      const alu = stmt(BPF.ALU | (op === '|' ? BPF.OR : BPF.AND) | BPF.K, val);
      return not(atom([alu], BPF.JMP | BPF.JEQ | BPF.K, 0));
    }
  }
}
