import { BPF, type BpfInstruction, type Cond, type ProtochainCond, type Stmt } from './ir.js';

/** An instruction whose jump targets are still labels (resolved by `layout`). */
interface Pseudo {
  code: number;
  k: number;
  jt?: number;
  jf?: number;
  /** Unconditional jump target label. */
  ja?: number;
}

class Emitter {
  readonly code: Pseudo[] = [];
  readonly labels: number[] = [];

  label(): number {
    this.labels.push(-1);
    return this.labels.length - 1;
  }

  place(l: number): void {
    this.labels[l] = this.code.length;
  }

  stmts(list: Stmt[]): void {
    for (const s of list) this.code.push({ code: s.code, k: s.k });
  }

  jump(code: number, k: number, jt: number, jf: number): void {
    this.code.push({ code, k, jt, jf });
  }

  ja(target: number): void {
    this.code.push({ code: BPF.JMP | BPF.JA, k: 0, ja: target });
  }

  cond(c: Cond, t: number, f: number): void {
    switch (c.t) {
      case 'atom':
        this.stmts(c.stmts);
        this.jump(c.code, c.k, t, f);
        return;
      case 'and':
      case 'or': {
        const mid = this.label();
        if (c.t === 'and') this.cond(c.a, mid, f);
        else this.cond(c.a, t, mid);
        this.place(mid);
        this.cond(c.b, t, f);
        return;
      }
      case 'not':
        this.cond(c.a, f, t);
        return;
      case 'branch': {
        const [taken, post] = [this.label(), this.label()];
        this.stmts(c.pre);
        this.jump(BPF.JMP | BPF.JEQ | BPF.K, c.k, taken, post);
        this.place(taken);
        this.stmts(c.taken);
        this.place(post);
        this.stmts(c.post);
        this.jump(c.code, c.kk, t, f);
        return;
      }
      case 'protochain':
        this.protochain(c, t, f);
    }
  }

  /** libpcap's protochain sequence, including its backward `ja` (valid for libpcap, not the kernel). */
  private protochain(c: ProtochainCond, t: number, f: number): void {
    const jeq = BPF.JMP | BPF.JEQ | BPF.K;
    const [again, end, ah, ahBody, notNone] = [
      this.label(),
      this.label(),
      this.label(),
      this.label(),
      this.label(),
    ];
    this.stmts([
      { code: BPF.LD | BPF.ABS | BPF.B, k: c.nl + (c.ipv6 ? 6 : 9) },
      c.ipv6 ? { code: BPF.LDX | BPF.IMM, k: 40 } : { code: BPF.LDX | BPF.MSH | BPF.B, k: c.nl },
    ]);
    this.place(again);
    const afterV = this.label();
    this.jump(jeq, c.proto, end, afterV);
    this.place(afterV);
    this.jump(jeq, 59, end, notNone);
    this.place(notNone);
    if (c.ipv6) {
      const advance = this.label();
      for (const [i, hdr] of [0, 60, 43, 44].entries()) {
        const next = this.label();
        this.jump(jeq, hdr, advance, i === 3 ? ah : next);
        this.place(next);
      }
      this.place(advance);
      this.stmts([
        { code: BPF.LD | BPF.IND | BPF.B, k: c.nl },
        { code: BPF.ST, k: c.reg },
        { code: BPF.LD | BPF.IND | BPF.B, k: c.nl + 1 },
        { code: BPF.ALU | BPF.ADD | BPF.K, k: 1 },
        { code: BPF.ALU | BPF.MUL | BPF.K, k: 8 },
        { code: BPF.ALU | BPF.ADD | BPF.X, k: 0 },
        { code: BPF.MISC | BPF.TAX, k: 0 },
        { code: BPF.LD | BPF.MEM, k: c.reg },
      ]);
      this.ja(again);
    } else {
      this.stmts([{ code: BPF.ALU | BPF.ADD | BPF.K, k: 0 }]);
    }
    this.place(ah);
    this.jump(jeq, 51, ahBody, end);
    this.place(ahBody);
    this.stmts([
      { code: BPF.MISC | BPF.TXA, k: 0 },
      { code: BPF.LD | BPF.IND | BPF.B, k: c.nl },
      { code: BPF.ST, k: c.reg },
      { code: BPF.MISC | BPF.TXA, k: 0 },
      { code: BPF.ALU | BPF.ADD | BPF.K, k: 1 },
      { code: BPF.MISC | BPF.TAX, k: 0 },
      { code: BPF.LD | BPF.IND | BPF.B, k: c.nl },
      { code: BPF.ALU | BPF.ADD | BPF.K, k: 2 },
      { code: BPF.ALU | BPF.MUL | BPF.K, k: 4 },
      { code: BPF.MISC | BPF.TAX, k: 0 },
      { code: BPF.LD | BPF.MEM, k: c.reg },
    ]);
    this.ja(again);
    this.place(end);
    this.stmts([{ code: BPF.ALU | BPF.ADD | BPF.K, k: 0 }]);
    this.jump(jeq, c.proto, t, f);
  }
}

/** Splits conditional jumps that cannot reach their target (8-bit offsets) via `ja` trampolines. */
function layout(e: Emitter): BpfInstruction[] {
  for (let pass = 0; pass < 64; pass++) {
    const far = e.code.findIndex(
      (p, i) => p.jt !== undefined && (e.labels[p.jt]! - i - 1 > 255 || e.labels[p.jf!]! - i - 1 > 255),
    );
    if (far < 0) break;
    const p = e.code[far]!;
    const [t, f] = [p.jt!, p.jf!];
    e.code.splice(
      far + 1,
      0,
      { code: BPF.JMP | BPF.JA, k: 0, ja: t },
      { code: BPF.JMP | BPF.JA, k: 0, ja: f },
    );
    for (let l = 0; l < e.labels.length; l++) if (e.labels[l]! > far) e.labels[l]! += 2;
    const lt = e.label();
    const lf = e.label();
    e.labels[lt] = far + 1;
    e.labels[lf] = far + 2;
    p.jt = lt;
    p.jf = lf;
  }
  return e.code.map((p, i) => {
    if (p.ja !== undefined) return { code: p.code, jt: 0, jf: 0, k: (e.labels[p.ja]! - i - 1) >>> 0 };
    if (p.jt === undefined) return { code: p.code, jt: 0, jf: 0, k: p.k };
    return { code: p.code, jt: e.labels[p.jt]! - i - 1, jf: e.labels[p.jf!]! - i - 1, k: p.k };
  });
}

/** Lays the condition tree out as a classic BPF program returning `snaplen` or 0. */
export function compileToBpf(root: Cond | null, snaplen: number): BpfInstruction[] {
  if (!root) return [{ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: snaplen }];
  const e = new Emitter();
  const accept = e.label();
  const reject = e.label();
  e.cond(root, accept, reject);
  e.place(accept);
  e.code.push({ code: BPF.RET | BPF.K, k: snaplen });
  e.place(reject);
  e.code.push({ code: BPF.RET | BPF.K, k: 0 });
  return layout(e);
}
