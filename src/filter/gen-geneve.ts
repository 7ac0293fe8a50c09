import { BPF, and, atom, not, or, stmt, type Cond } from './ir.js';
import { DLT, type GenState, type OffRel } from './state.js';
import { ETH, GENEVE_PORT, IPPROTO } from './consts.js';
import { portFamily } from './gen-ip.js';
import { semanticError } from './errors.js';

function geneveCheck(st: GenState, v6: boolean, vni: number | undefined): Cond {
  const rel: OffRel = v6 ? 'tran_ipv6' : 'tran_ipv4';
  let b = and(
    portFamily(st, v6, GENEVE_PORT, undefined, IPPROTO.UDP, 'dst'),
    st.mcmp(rel, 8, BPF.B, 0, 0xc0),
  );
  if (vni !== undefined) {
    if (vni > 0xffffff) semanticError(`Geneve VNI ${vni} greater than maximum 16777215`);
    b = and(b, st.mcmp(rel, 12, BPF.W, (vni << 8) >>> 0, 0xffffff00));
  }
  return b;
}

/** Leaves the IPv4 (or IPv6) header length in A and X; always true. */
function l3LengthInA(st: GenState, v6: boolean): Cond {
  if (!v6) return atom([...st.loadxIpHdrLen(), stmt(BPF.MISC | BPF.TXA)], BPF.JMP | BPF.JEQ | BPF.X, 0);
  const v = st.varpart(st.offLinkpl);
  const s = v
    ? [...v, stmt(BPF.LD | BPF.IMM, 40), stmt(BPF.ALU | BPF.ADD | BPF.X)]
    : [stmt(BPF.LD | BPF.IMM, 40)];
  return atom([...s, stmt(BPF.MISC | BPF.TAX)], BPF.JMP | BPF.JEQ | BPF.X, 0);
}

/**
 * Computes the inner offsets at run time into scratch registers (libpcap gen_geneve_offsets):
 * after it, every later primitive reads the encapsulated frame — Ethernet when the Geneve
 * protocol type is Transparent Ethernet Bridging, otherwise the payload named by that type.
 */
function geneveOffsets(st: GenState): Cond {
  const linktypeReg = st.allocReg();
  const pre = [
    stmt(BPF.ALU | BPF.ADD | BPF.K, st.offLinkpl.constant + st.offNl + 8),
    stmt(BPF.MISC | BPF.TAX),
    stmt(BPF.ALU | BPF.ADD | BPF.K, 2),
    stmt(BPF.ST, linktypeReg),
    stmt(BPF.LD | BPF.IND | BPF.B, 0),
    stmt(BPF.ALU | BPF.AND | BPF.K, 0x3f),
    stmt(BPF.ALU | BPF.MUL | BPF.K, 4),
    stmt(BPF.ALU | BPF.ADD | BPF.K, 8),
    stmt(BPF.ALU | BPF.ADD | BPF.X),
  ];
  st.prevlinktype = st.linktype;
  st.offPrevlinkhdr = { ...st.offLinkhdr };
  st.linktype = DLT.EN10MB;
  st.offLinkhdr = { isVariable: true, constant: 0, reg: st.allocReg() };
  pre.push(
    stmt(BPF.ST, st.offLinkhdr.reg),
    stmt(BPF.LD | BPF.IND | BPF.H, 2),
    stmt(BPF.LDX | BPF.MEM, st.offLinkhdr.reg),
  );
  const taken = [
    stmt(BPF.MISC | BPF.TXA),
    stmt(BPF.ALU | BPF.ADD | BPF.K, 12),
    stmt(BPF.ST, linktypeReg),
    stmt(BPF.ALU | BPF.ADD | BPF.K, 2),
    stmt(BPF.MISC | BPF.TAX),
  ];
  st.offLinktype = { isVariable: true, constant: 0, reg: linktypeReg };
  st.offLinkpl = { isVariable: true, constant: 0, reg: st.allocReg() };
  const post = [stmt(BPF.STX, st.offLinkpl.reg), stmt(BPF.LD | BPF.IMM, 0)];
  st.offNl = 0;
  return { t: 'branch', pre, k: ETH.TEB, taken, post, code: BPF.JMP | BPF.JEQ | BPF.K, kk: 0 };
}

/** `geneve [vni]`: UDP/6081 Geneve (IPv4 or IPv6); later primitives apply to the inner packet. */
export function genGeneve(st: GenState, vni: number | undefined): Cond {
  const v4 = and(geneveCheck(st, false, vni), l3LengthInA(st, false));
  const v6 = and(geneveCheck(st, true, vni), l3LengthInA(st, true));
  const b = and(or(v4, v6), geneveOffsets(st));
  st.isGeneve = true;
  return b;
}

/** After `geneve`, link-layer tests first check that the inner packet has an Ethernet header. */
export function innerEthernetCheck(st: GenState): Cond | undefined {
  if (!st.isGeneve) return undefined;
  return not(
    atom(
      [stmt(BPF.LD | BPF.MEM, st.offLinkhdr.reg), stmt(BPF.LDX | BPF.MEM, st.offLinkpl.reg)],
      BPF.JMP | BPF.JEQ | BPF.X,
      0,
    ),
  );
}
