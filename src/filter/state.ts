import { BPF, atom, and, not, stmt, type Cond, type Stmt } from './ir.js';
import { semanticError } from './errors.js';

/** A header offset: constant, or constant + a value kept in a scratch register (after geneve). */
export interface AbsOffset {
  constant: number;
  isVariable: boolean;
  reg: number;
}

/** Where an offset is relative to (libpcap's e_offrel). */
export type OffRel =
  | 'packet'
  | 'linkhdr'
  | 'prevlinkhdr'
  | 'llc'
  | 'prevmplshdr'
  | 'linkpl'
  | 'linkpl_nosnap'
  | 'linktype'
  | 'tran_ipv4'
  | 'tran_ipv6';

export const OFFSET_NOT_SET = -1;
const MEMWORDS = 16;

/** DLT values meshtap compiles for (pcap LINKTYPE values map onto these). */
export const DLT = {
  NULL: 0,
  EN10MB: 1,
  PPP: 9,
  RAW: 12,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Per link type: offset of the type field, of the payload, and of the network layer after 802.2 LLC. */
const LINK_OFFSETS: Record<number, [number, number, number]> = {
  [DLT.EN10MB]: [12, 14, 3],
  [DLT.NULL]: [0, 4, 0],
  [DLT.LOOP]: [0, 4, 0],
  [DLT.RAW]: [OFFSET_NOT_SET, 0, 0],
  [DLT.IPV4]: [OFFSET_NOT_SET, 0, 0],
  [DLT.IPV6]: [OFFSET_NOT_SET, 0, 0],
  [DLT.LINUX_SLL]: [14, 16, 0],
  [DLT.LINUX_SLL2]: [0, 20, 0],
};

/**
 * Compiler state that primitives read and some primitives change for everything parsed after
 * them (libpcap's cstate): `vlan`, `mpls`, `pppoes` and `geneve` move later offsets.
 */
export class GenState {
  linktype: number;
  prevlinktype: number;
  offLinkhdr: AbsOffset = { constant: 0, isVariable: false, reg: -1 };
  offPrevlinkhdr: AbsOffset = { constant: 0, isVariable: false, reg: -1 };
  offLinkpl: AbsOffset = { constant: 0, isVariable: false, reg: -1 };
  offLinktype: AbsOffset = { constant: 0, isVariable: false, reg: -1 };
  offNl = 0;
  offNlNosnap = 0;
  labelStackDepth = 0;
  vlanStackDepth = 0;
  isGeneve = false;
  private readonly regused = new Array<boolean>(MEMWORDS).fill(false);
  private curreg = 0;

  constructor(
    readonly outermostLinktype: number,
    /** Byte order of the 4-byte DLT_NULL family word in the capture (libpcap: file byte order). */
    readonly nullLittleEndian: boolean,
    /** Netmask for `ip broadcast`; tcpdump uses 0 when reading files. */
    readonly netmask: number,
  ) {
    this.linktype = outermostLinktype;
    this.prevlinktype = outermostLinktype;
    const [linktypeOff, linkplOff, nlNosnap] = LINK_OFFSETS[outermostLinktype] ?? [OFFSET_NOT_SET, 0, 0];
    this.offLinktype.constant = linktypeOff;
    this.offLinkpl.constant = linkplOff;
    this.offNlNosnap = nlNosnap;
  }

  allocReg(): number {
    for (let n = 0; n < MEMWORDS; n++) {
      if (!this.regused[this.curreg]) {
        this.regused[this.curreg] = true;
        return this.curreg;
      }
      this.curreg = (this.curreg + 1) % MEMWORDS;
    }
    return semanticError('too many registers needed to evaluate expression');
  }

  freeReg(n: number): void {
    this.regused[n] = false;
  }

  /** Statements that leave the variable part of `off` in X, or none for a constant offset. */
  varpart(off: AbsOffset): Stmt[] | undefined {
    return off.isVariable ? [stmt(BPF.LDX | BPF.MEM, off.reg)] : undefined;
  }

  private loadRel(off: AbsOffset, offset: number, size: number): Stmt[] {
    const v = this.varpart(off);
    if (v) return [...v, stmt(BPF.LD | BPF.IND | size, off.constant + offset)];
    return [stmt(BPF.LD | BPF.ABS | size, off.constant + offset)];
  }

  /** X := length of the IPv4 header (4 * IHL), for the network layer at the current offset. */
  loadxIpHdrLen(): Stmt[] {
    const v = this.varpart(this.offLinkpl);
    if (!v) return [stmt(BPF.LDX | BPF.MSH | BPF.B, this.offLinkpl.constant + this.offNl)];
    return [
      ...v,
      stmt(BPF.LD | BPF.IND | BPF.B, this.offLinkpl.constant + this.offNl),
      stmt(BPF.ALU | BPF.AND | BPF.K, 0xf),
      stmt(BPF.ALU | BPF.LSH | BPF.K, 2),
      stmt(BPF.ALU | BPF.ADD | BPF.X),
      stmt(BPF.MISC | BPF.TAX),
    ];
  }

  loadA(rel: OffRel, offset: number, size: number): Stmt[] {
    switch (rel) {
      case 'packet':
        return [stmt(BPF.LD | BPF.ABS | size, offset)];
      case 'linkhdr':
        return this.loadRel(this.offLinkhdr, offset, size);
      case 'prevlinkhdr':
        return this.loadRel(this.offPrevlinkhdr, offset, size);
      case 'llc':
        return this.loadRel(this.offLinkpl, offset, size);
      case 'prevmplshdr':
        return this.loadRel(this.offLinkpl, this.offNl - 4 + offset, size);
      case 'linkpl':
        return this.loadRel(this.offLinkpl, this.offNl + offset, size);
      case 'linkpl_nosnap':
        return this.loadRel(this.offLinkpl, this.offNlNosnap + offset, size);
      case 'linktype':
        return this.loadRel(this.offLinktype, offset, size);
      case 'tran_ipv4':
        return [
          ...this.loadxIpHdrLen(),
          stmt(BPF.LD | BPF.IND | size, this.offLinkpl.constant + this.offNl + offset),
        ];
      case 'tran_ipv6':
        return this.loadRel(this.offLinkpl, this.offNl + 40 + offset, size);
    }
  }

  /** libpcap gen_ncmp: load, optional mask, compare; `reverse` negates jgt/jge (for < and <=). */
  ncmp(
    rel: OffRel,
    offset: number,
    size: number,
    mask: number,
    jtype: number,
    reverse: boolean,
    v: number,
  ): Cond {
    const s = this.loadA(rel, offset, size);
    if (mask >>> 0 !== 0xffffffff) s.push(stmt(BPF.ALU | BPF.AND | BPF.K, mask));
    const b = atom(s, BPF.JMP | jtype | BPF.K, v);
    return reverse && (jtype === BPF.JGT || jtype === BPF.JGE) ? not(b) : b;
  }

  cmp(rel: OffRel, offset: number, size: number, v: number): Cond {
    return this.ncmp(rel, offset, size, 0xffffffff, BPF.JEQ, false, v);
  }

  mcmp(rel: OffRel, offset: number, size: number, v: number, mask: number): Cond {
    return this.ncmp(rel, offset, size, mask, BPF.JEQ, false, v);
  }

  /** Byte-string compare, done in words from the end as libpcap's gen_bcmp does. */
  bcmp(rel: OffRel, offset: number, bytes: Uint8Array): Cond {
    let size = bytes.length;
    let b: Cond | undefined;
    const push = (c: Cond): void => {
      b = b ? and(b, c) : c;
    };
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (size >= 4) {
      push(this.cmp(rel, offset + size - 4, BPF.W, dv.getUint32(size - 4)));
      size -= 4;
    }
    while (size >= 2) {
      push(this.cmp(rel, offset + size - 2, BPF.H, dv.getUint16(size - 2)));
      size -= 2;
    }
    if (size > 0) push(this.cmp(rel, offset, BPF.B, bytes[0]!));
    return b!;
  }
}
