import { BPF, type Cond, type Stmt } from './ir.js';

/**
 * A compiled predicate over one raw frame: the bytes holding it, its captured length, its
 * wire length, and where in `data` it starts (0 by default: `data` is the frame). A reader's
 * window with an offset lets a filter test records without a view of each.
 */
export type PacketPredicate = (data: Uint8Array, caplen: number, origLen: number, offset?: number) => boolean;

/** Cap on protochain iterations: libpcap's loop has none and can spin on crafted AH chains. */
const PROTOCHAIN_MAX_STEPS = 256;

/**
 * libpcap's protochain walk. Returns the protocol it stopped at, or -1 when a read fell outside
 * the packet (BPF rejects the packet then). Quirk kept: after AH, the offset becomes (len+2)*4
 * from the network header rather than advancing past the AH header.
 */
export function protochainWalk(
  d: Uint8Array,
  o: number,
  caplen: number,
  nl: number,
  ipv6: boolean,
  v: number,
): number {
  const first = nl + (ipv6 ? 6 : 9);
  if (first >= caplen || nl >= caplen) return -1;
  let a = d[o + first]!;
  let x = ipv6 ? 40 : (d[o + nl]! & 0xf) << 2;
  for (let step = 0; step < PROTOCHAIN_MAX_STEPS; step++) {
    if (a === v || a === 59) return a;
    const isExt = ipv6 && (a === 0 || a === 60 || a === 43 || a === 44);
    if (!isExt && a !== 51) return a;
    if (x + nl + 2 > caplen) return -1;
    const next = d[o + x + nl]!;
    const len = d[o + x + nl + 1]!;
    x = isExt ? x + (len + 1) * 8 : (len + 2) * 4;
    a = next;
  }
  return -1;
}

/** A big-endian load of the frame's bytes at `off` (an expression), relative to the frame start `o`. */
function read(size: number, off: string): string {
  const at = `o + ${off}`;
  if (size === BPF.B) return `d[${at}]`;
  if (size === BPF.H) return `(d[${at}] << 8 | d[${at} + 1])`;
  return `((d[${at}] << 24 | d[${at} + 1] << 16 | d[${at} + 2] << 8 | d[${at} + 3]) >>> 0)`;
}

const WIDTH: Record<number, number> = { [BPF.B]: 1, [BPF.H]: 2, [BPF.W]: 4 };

function aluExpr(op: number, rhs: string, isX: boolean): string {
  switch (op) {
    case BPF.ADD:
      return `(A + ${rhs}) >>> 0`;
    case BPF.SUB:
      return `(A - ${rhs}) >>> 0`;
    case BPF.MUL:
      return `Math.imul(A, ${rhs}) >>> 0`;
    case BPF.DIV:
      return isX ? `(X === 0 ? (bad = 1, 0) : (A / X) >>> 0)` : `(A / ${rhs}) >>> 0`;
    case BPF.MOD:
      return isX ? `(X === 0 ? (bad = 1, 0) : A % X)` : `A % ${rhs}`;
    case BPF.AND:
      return `(A & ${rhs}) >>> 0`;
    case BPF.OR:
      return `(A | ${rhs}) >>> 0`;
    case BPF.XOR:
      return `(A ^ ${rhs}) >>> 0`;
    case BPF.LSH:
      return isX ? `(X < 32 ? (A << X) >>> 0 : 0)` : `(A << ${rhs}) >>> 0`;
    case BPF.RSH:
      return isX ? `(X < 32 ? A >>> X : 0)` : `A >>> ${rhs}`;
    default:
      return `(-A) >>> 0`;
  }
}

function ldExpr(s: Stmt): string {
  const mode = s.code & 0xe0;
  const size = s.code & 0x18;
  const w = WIDTH[size]!;
  switch (mode) {
    case BPF.ABS:
      return `(${s.k + w} <= caplen ? ${read(size, String(s.k))} : (bad = 1, 0))`;
    case BPF.IND:
      return `(t = X + ${s.k}, t + ${w} <= caplen ? ${read(size, 't')} : (bad = 1, 0))`;
    case BPF.MEM:
      return `m${s.k}`;
    case BPF.LEN:
      return 'len';
    default:
      return String(s.k);
  }
}

function ldxExpr(s: Stmt): string {
  switch (s.code & 0xe0) {
    case BPF.MEM:
      return `m${s.k}`;
    case BPF.LEN:
      return 'len';
    case BPF.MSH:
      return `(${s.k} < caplen ? (d[o + ${s.k}] & 15) << 2 : (bad = 1, 0))`;
    default:
      return String(s.k);
  }
}

function stmtJs(s: Stmt): string {
  switch (s.code & 0x07) {
    case BPF.LD:
      return `A = ${ldExpr(s)}`;
    case BPF.LDX:
      return `X = ${ldxExpr(s)}`;
    case BPF.ST:
      return `m${s.k} = A`;
    case BPF.STX:
      return `m${s.k} = X`;
    case BPF.ALU: {
      const isX = (s.code & BPF.X) !== 0;
      return `A = ${aluExpr(s.code & 0xf0, isX ? 'X' : String(s.k), isX)}`;
    }
    default:
      return (s.code & 0xf8) === BPF.TXA ? 'A = X' : 'X = A';
  }
}

function jumpJs(code: number, k: number): string {
  const rhs = (code & BPF.X) !== 0 ? 'X' : String(k);
  switch (code & 0xf0) {
    case BPF.JEQ:
      return `A === ${rhs}`;
    case BPF.JGT:
      return `A > ${rhs}`;
    case BPF.JGE:
      return `A >= ${rhs}`;
    default:
      return `(A & ${rhs}) !== 0`;
  }
}

function condJs(c: Cond): string {
  switch (c.t) {
    case 'atom':
      return `(${[...c.stmts.map(stmtJs), jumpJs(c.code, c.k)].join(', ')})`;
    case 'and':
      return `(${condJs(c.a)} && ${condJs(c.b)})`;
    case 'or':
      return `(${condJs(c.a)} || ${condJs(c.b)})`;
    case 'not':
      return `!${condJs(c.a)}`;
    case 'branch': {
      const seq = (l: Stmt[]): string => l.map(stmtJs).join(', ');
      return `(${seq(c.pre)}, A === ${c.k} ? (${seq(c.taken)}) : 0, ${seq(c.post)}, ${jumpJs(c.code, c.kk)})`;
    }
    case 'protochain':
      return `(A = pc(d, o, caplen, ${c.nl}, ${c.ipv6}, ${c.proto}), A < 0 ? (bad = 1, false) : A === ${c.proto})`;
  }
}

/**
 * Generates one JS function for the whole filter. An out-of-bounds load or a division by zero
 * sets `bad`, which makes the result false — BPF aborts with "reject" in those cases; the
 * remaining evaluation has no side effects, so finishing it does not change the outcome.
 */
export function compileToJs(root: Cond | null): PacketPredicate {
  if (!root) return () => true;
  const regs = Array.from({ length: 16 }, (_, i) => `m${i} = 0`).join(', ');
  const body = `return function match(d, caplen, len, o = 0) {
  let A = 0, X = 0, t = 0, bad = 0, ${regs};
  const r = ${condJs(root)};
  return r && bad === 0;
};`;
  return new Function('pc', body)(protochainWalk) as PacketPredicate;
}
