import { BPF, and, atom, constCond, not, or, stmt, type Cond } from './ir.js';
import { DLT, type GenState } from './state.js';
import { ETH, LLCSAP, PPP, SLL_P_802_2, SLL_P_802_3 } from './consts.js';
import { notApplicable, semanticError } from './errors.js';
import { innerEthernetCheck } from './gen-geneve.js';

/** Human name of a link type, as libpcap prints it in refusals. */
export function linkTypeName(dlt: number): string {
  switch (dlt) {
    case DLT.NULL:
    case DLT.LOOP:
      return dlt === DLT.NULL ? 'BSD loopback' : 'OpenBSD loopback';
    case DLT.EN10MB:
      return 'Ethernet';
    case DLT.RAW:
    case DLT.IPV4:
    case DLT.IPV6:
      return dlt === DLT.RAW ? 'Raw IP' : dlt === DLT.IPV4 ? 'Raw IPv4' : 'Raw IPv6';
    case DLT.LINUX_SLL:
      return 'Linux cooked v1';
    case DLT.LINUX_SLL2:
      return 'Linux cooked v2';
    case DLT.PPP:
      return 'PPP';
    default:
      return `DLT ${dlt}`;
  }
}

/** 802.2 SNAP header match (DSAP/SSAP AA, UI, OUI, type). */
export function genSnap(st: GenState, orgcode: number, ptype: number): Cond {
  const b = new Uint8Array([
    LLCSAP.SNAP,
    LLCSAP.SNAP,
    0x03,
    orgcode >> 16,
    orgcode >> 8,
    orgcode,
    ptype >> 8,
    ptype,
  ]);
  return st.bcmp('llc', 0, b);
}

function notLengthField(st: GenState): Cond {
  return not(st.ncmp('linktype', 0, BPF.H, 0xffffffff, BPF.JGT, false, ETH.MTU));
}

function etherLinktype(st: GenState, p: number): Cond {
  switch (p) {
    case LLCSAP.ISONS:
    case LLCSAP.IP:
    case LLCSAP.NETBEUI:
      return and(notLengthField(st), st.cmp('llc', 0, BPF.H, (p << 8) | p));
    case LLCSAP.IPX: {
      let b1 = or(st.cmp('llc', 0, BPF.B, LLCSAP.IPX), st.cmp('llc', 0, BPF.H, 0xffff));
      b1 = or(genSnap(st, 0, ETH.IPX), b1);
      b1 = and(notLengthField(st), b1);
      return or(st.cmp('linktype', 0, BPF.H, ETH.IPX), b1);
    }
    case ETH.ATALK:
    case ETH.AARP: {
      const snap = p === ETH.ATALK ? genSnap(st, 0x080007, ETH.ATALK) : genSnap(st, 0, ETH.AARP);
      return or(st.cmp('linktype', 0, BPF.H, p), and(notLengthField(st), snap));
    }
    default:
      if (p <= ETH.MTU) return and(notLengthField(st), st.cmp('linktype', 2, BPF.B, p));
      return st.cmp('linktype', 0, BPF.H, p);
  }
}

function sllLinktype(st: GenState, p: number): Cond {
  const is8022 = (): Cond => st.cmp('linktype', 0, BPF.H, SLL_P_802_2);
  switch (p) {
    case LLCSAP.ISONS:
    case LLCSAP.IP:
    case LLCSAP.NETBEUI:
      return and(is8022(), st.cmp('llc', 0, BPF.H, (p << 8) | p));
    case LLCSAP.IPX: {
      let b1 = or(st.cmp('llc', 0, BPF.B, LLCSAP.IPX), genSnap(st, 0, ETH.IPX));
      b1 = and(is8022(), b1);
      b1 = or(st.cmp('linktype', 0, BPF.H, SLL_P_802_3), b1);
      return or(st.cmp('linktype', 0, BPF.H, ETH.IPX), b1);
    }
    case ETH.ATALK:
    case ETH.AARP: {
      const snap = p === ETH.ATALK ? genSnap(st, 0x080007, ETH.ATALK) : genSnap(st, 0, ETH.AARP);
      return or(st.cmp('linktype', 0, BPF.H, p), and(is8022(), snap));
    }
    default:
      if (p <= ETH.MTU) return and(is8022(), st.cmp('linkhdr', st.offLinkpl.constant, BPF.B, p));
      return st.cmp('linktype', 0, BPF.H, p);
  }
}

/** DLT_NULL's family word is in the capture's byte order; DLT_LOOP's is big-endian. */
function loopbackLinktype(st: GenState, family: number): Cond {
  let v = family;
  if (st.linktype === DLT.NULL && st.nullLittleEndian) {
    v =
      (((family & 0xff) << 24) | ((family & 0xff00) << 8) | ((family >>> 8) & 0xff00) | (family >>> 24)) >>>
      0;
  }
  return st.cmp('linkhdr', 0, BPF.W, v);
}

function pppType(p: number): number {
  const map: Record<number, number> = {
    [ETH.IP]: PPP.IP,
    [ETH.IPV6]: PPP.IPV6,
    [ETH.DN]: PPP.DECNET,
    [ETH.ATALK]: PPP.APPLE,
    [ETH.NS]: PPP.NS,
    [LLCSAP.ISONS]: PPP.OSI,
    [LLCSAP.STP]: PPP.BRPDU,
    [LLCSAP.IPX]: PPP.IPX,
  };
  return map[p] ?? p;
}

function mplsLinktype(st: GenState, p: number): Cond {
  if (p !== ETH.IP && p !== ETH.IPV6) semanticError('unsupported protocol over mpls');
  const bos = st.mcmp('linkpl', -2 >>> 0, BPF.B, 0x01, 0x01);
  return and(bos, st.mcmp('linkpl', 0, BPF.B, p === ETH.IP ? 0x40 : 0x60, 0xf0));
}

/** libpcap gen_linktype: "the link layer says the payload is protocol `p`". */
export function genLinktype(st: GenState, p: number): Cond {
  if (st.labelStackDepth > 0) return mplsLinktype(st, p);
  switch (st.linktype) {
    case DLT.EN10MB:
      return etherLinktype(st, p);
    case DLT.LINUX_SLL:
      return sllLinktype(st, p);
    case DLT.RAW:
      if (p === ETH.IP) return st.mcmp('linkhdr', 0, BPF.B, 0x40, 0xf0);
      if (p === ETH.IPV6) return st.mcmp('linkhdr', 0, BPF.B, 0x60, 0xf0);
      return constCond(false);
    case DLT.IPV4:
      return constCond(p === ETH.IP);
    case DLT.IPV6:
      return constCond(p === ETH.IPV6);
    case DLT.PPP:
      return st.cmp('linktype', 0, BPF.H, pppType(p));
    case DLT.NULL:
    case DLT.LOOP:
      if (p === ETH.IP) return loopbackLinktype(st, 2);
      if (p === ETH.IPV6) {
        return or(or(loopbackLinktype(st, 24), loopbackLinktype(st, 28)), loopbackLinktype(st, 30));
      }
      return constCond(false);
    default:
      return st.cmp('linktype', 0, BPF.H, p);
  }
}

/** LLC header present (802.3 length field, not raw IPX) — libpcap gen_llc_internal. */
export function genLlcPresent(st: GenState): Cond {
  if (st.linktype !== DLT.EN10MB) notApplicable(`'llc' not supported for ${linkTypeName(st.linktype)}`);
  return and(notLengthField(st), not(st.cmp('llc', 0, BPF.H, 0xffff)));
}

const LLC_S_SUBTYPES: Record<string, number> = { rr: 0x01, rnr: 0x05, rej: 0x09 };
const LLC_U_SUBTYPES: Record<string, number> = {
  ui: 0x03,
  ua: 0x63,
  disc: 0x43,
  dm: 0x0f,
  sabme: 0x6f,
  test: 0xe3,
  xid: 0xaf,
  frmr: 0x87,
};

/** `llc`, `llc i|s|u`, `llc <subtype>`. */
export function genLlc(st: GenState, sub: string | undefined): Cond {
  const base = genLlcPresent(st);
  if (sub === undefined) return base;
  const name = sub.toLowerCase();
  if (name === 'i') return and(base, not(atom(st.loadA('llc', 2, BPF.B), BPF.JMP | BPF.JSET | BPF.K, 0x01)));
  if (name === 's') return and(base, st.mcmp('llc', 2, BPF.B, 1, 0x03));
  if (name === 'u') return and(base, st.mcmp('llc', 2, BPF.B, 3, 0x03));
  const s = LLC_S_SUBTYPES[name];
  if (s !== undefined) return and(base, st.mcmp('llc', 2, BPF.B, s, 0x0f));
  const u = LLC_U_SUBTYPES[name];
  if (u === undefined) semanticError(`unknown LLC type name "${sub}"`);
  return and(base, st.mcmp('llc', 2, BPF.B, u, 0xef));
}

function withInnerCheck(st: GenState, b: Cond): Cond {
  const check = innerEthernetCheck(st);
  return check ? and(check, b) : b;
}

function requireEthernet(st: GenState, what: string): void {
  if (st.linktype !== DLT.EN10MB) notApplicable(what);
}

/** Ethernet source/destination address match (gen_ehostop). */
export function genEtherHost(st: GenState, mac: Uint8Array, dir: string): Cond {
  requireEthernet(
    st,
    'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel',
  );
  return withInnerCheck(st, etherHostOp(st, mac, dir));
}

function etherHostOp(st: GenState, mac: Uint8Array, dir: string): Cond {
  switch (dir) {
    case 'src':
      return st.bcmp('linkhdr', 6, mac);
    case 'dst':
      return st.bcmp('linkhdr', 0, mac);
    case 'and':
      return and(etherHostOp(st, mac, 'src'), etherHostOp(st, mac, 'dst'));
    case 'default':
    case 'or':
      return or(etherHostOp(st, mac, 'src'), etherHostOp(st, mac, 'dst'));
    default:
      return semanticError(`'${dir}' is only supported on 802.11 with 802.11 headers`);
  }
}

export function genLinkBroadcast(st: GenState): Cond {
  if (st.linktype !== DLT.EN10MB) notApplicable('not a broadcast link');
  return withInnerCheck(st, etherHostOp(st, new Uint8Array([255, 255, 255, 255, 255, 255]), 'dst'));
}

export function genLinkMulticast(st: GenState): Cond {
  if (st.linktype !== DLT.EN10MB) {
    notApplicable(
      'link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel',
    );
  }
  return withInnerCheck(st, atom(st.loadA('linkhdr', 0, BPF.B), BPF.JMP | BPF.JSET | BPF.K, 1));
}

/** `vlan [id]`: match a tag and move every later offset past it (libpcap's stacking rule). */
export function genVlan(st: GenState, id: number | undefined): Cond {
  if (st.labelStackDepth > 0) semanticError('no VLAN match after MPLS');
  if (st.linktype !== DLT.EN10MB) notApplicable(`no VLAN support for ${linkTypeName(st.linktype)}`);
  let b = or(or(genLinktype(st, ETH.VLAN), genLinktype(st, ETH.QINQ_AD)), genLinktype(st, ETH.QINQ_OLD));
  if (id !== undefined) {
    if (id > 0x0fff) semanticError(`VLAN tag ${id} greater than maximum 4095`);
    b = and(b, st.mcmp('linkpl', 0, BPF.H, id, 0x0fff));
  }
  st.offLinkpl.constant += 4;
  st.offLinktype.constant += 4;
  st.vlanStackDepth++;
  return b;
}

/** `mpls [label]`: match a label stack entry; later network-layer offsets move by 4. */
export function genMpls(st: GenState, label: number | undefined): Cond {
  let b: Cond;
  if (st.labelStackDepth > 0) b = st.mcmp('prevmplshdr', 2, BPF.B, 0, 0x01);
  else if (st.linktype === DLT.EN10MB) b = genLinktype(st, ETH.MPLS);
  else if (st.linktype === DLT.PPP) b = genLinktype(st, PPP.MPLS_UCAST);
  else return notApplicable(`no MPLS support for ${linkTypeName(st.linktype)}`);
  if (label !== undefined) {
    if (label > 0xfffff) semanticError(`MPLS label ${label} greater than maximum 1048575`);
    b = and(b, st.mcmp('linkpl', 0, BPF.W, (label << 12) >>> 0, 0xfffff000));
  }
  st.offNlNosnap += 4;
  st.offNl += 4;
  st.labelStackDepth++;
  return b;
}

export function genPppoed(st: GenState): Cond {
  return genLinktype(st, ETH.PPPOED);
}

/** `pppoes [session]`: later primitives look at the PPP payload of the session. */
export function genPppoes(st: GenState, session: number | undefined): Cond {
  let b = genLinktype(st, ETH.PPPOES);
  if (session !== undefined) {
    if (session > 0xffff) semanticError(`PPPoE session number ${session} greater than maximum 65535`);
    b = and(b, st.mcmp('linkpl', 0, BPF.W, session, 0xffff));
  }
  st.prevlinktype = st.linktype;
  st.offPrevlinkhdr = { ...st.offLinkhdr };
  st.linktype = DLT.PPP;
  st.offLinkhdr = {
    isVariable: st.offLinkpl.isVariable,
    constant: st.offLinkpl.constant + st.offNl + 6,
    reg: st.offLinkpl.reg,
  };
  st.isGeneve = false;
  st.offLinktype = { ...st.offLinkhdr };
  st.offLinkpl = { ...st.offLinkpl, constant: st.offLinkhdr.constant + 2 };
  st.offNl = 0;
  st.offNlNosnap = 0;
  return b;
}

export { stmt };
