import { BPF, and, atom, not, or, type Cond } from './ir.js';
import type { GenState } from './state.js';
import { ETH, IPPROTO, ISIS_PDU, ISO, LLCSAP } from './consts.js';
import { genLinktype } from './gen-link.js';
import { semanticError } from './errors.js';

export type AddrType = 'host' | 'net';

function dirOp(dir: string, gen: (d: 'src' | 'dst') => Cond): Cond {
  switch (dir) {
    case 'src':
    case 'dst':
      return gen(dir);
    case 'and':
      return and(gen('src'), gen('dst'));
    case 'default':
    case 'or':
      return or(gen('src'), gen('dst'));
    default:
      return semanticError(`'${dir}' is not a valid qualifier for addresses other than 802.11 MAC addresses`);
  }
}

function hostop(
  st: GenState,
  addr: number,
  mask: number,
  dir: string,
  ethertype: number,
  srcOff: number,
  dstOff: number,
): Cond {
  return dirOp(dir, (d) =>
    and(genLinktype(st, ethertype), st.mcmp('linkpl', d === 'src' ? srcOff : dstOff, BPF.W, addr, mask)),
  );
}

function dnhostop(st: GenState, addr: number, dir: string): Cond {
  return dirOp(dir, (d) => {
    const [offSh, offLh] = d === 'dst' ? [1, 7] : [3, 15];
    const a = ((addr & 0xff) << 8) | (addr >> 8);
    let b1 = and(st.mcmp('linkpl', 2, BPF.H, 0x8106, 0xff07), st.cmp('linkpl', 2 + 1 + offLh, BPF.H, a));
    b1 = or(and(st.mcmp('linkpl', 2, BPF.B, 0x06, 0x07), st.cmp('linkpl', 2 + offLh, BPF.H, a)), b1);
    b1 = or(and(st.mcmp('linkpl', 2, BPF.H, 0x8102, 0xff07), st.cmp('linkpl', 2 + 1 + offSh, BPF.H, a)), b1);
    b1 = or(and(st.mcmp('linkpl', 2, BPF.B, 0x02, 0x07), st.cmp('linkpl', 2 + offSh, BPF.H, a)), b1);
    return and(genLinktype(st, ETH.DN), b1);
  });
}

/** IPv4 host/net for a protocol qualifier (gen_host). */
export function genHost(
  st: GenState,
  addr: number,
  mask: number,
  proto: string,
  dir: string,
  type: AddrType,
): Cond {
  switch (proto) {
    case 'default': {
      const ip = genHost(st, addr, mask, 'ip', dir, type);
      if (st.labelStackDepth > 0) return ip;
      return or(
        or(ip, genHost(st, addr, mask, 'arp', dir, type)),
        genHost(st, addr, mask, 'rarp', dir, type),
      );
    }
    case 'ip':
      return hostop(st, addr, mask, dir, ETH.IP, 12, 16);
    case 'arp':
      return hostop(st, addr, mask, dir, ETH.ARP, 14, 24);
    case 'rarp':
      return hostop(st, addr, mask, dir, ETH.REVARP, 14, 24);
    case 'decnet':
      return dnhostop(st, addr, dir);
    case 'link':
      return semanticError(`link-layer modifier applied to ${type}`);
    case 'ip6':
      return semanticError(`'ip6' modifier applied to ip host`);
    default:
      return semanticError(`'${proto}' modifier applied to ${type}`);
  }
}

/** IPv6 host/net (gen_host6): network type then the four address words. */
export function genHost6(
  st: GenState,
  addr: Uint8Array,
  mask: Uint8Array,
  proto: string,
  dir: string,
  type: AddrType,
): Cond {
  if (proto !== 'default' && proto !== 'ip6') {
    semanticError(
      proto === 'link'
        ? `link-layer modifier applied to ip6 ${type}`
        : `'${proto}' modifier applied to ip6 ${type}`,
    );
  }
  const a = new DataView(addr.buffer, addr.byteOffset, 16);
  const m = new DataView(mask.buffer, mask.byteOffset, 16);
  return dirOp(dir, (d) => {
    const off = d === 'src' ? 8 : 24;
    let b = st.mcmp('linkpl', off, BPF.W, a.getUint32(0), m.getUint32(0));
    for (let i = 1; i < 4; i++)
      b = and(b, st.mcmp('linkpl', off + 4 * i, BPF.W, a.getUint32(4 * i), m.getUint32(4 * i)));
    return and(genLinktype(st, ETH.IPV6), b);
  });
}

/** Not a non-first IPv4 fragment. */
export function genIpFrag(st: GenState): Cond {
  return not(atom(st.loadA('linkpl', 6, BPF.H), BPF.JMP | BPF.JSET | BPF.K, 0x1fff));
}

type PortAtom = (st: GenState, off: number) => Cond;

function portDirs(dir: string, gen: PortAtom, st: GenState): Cond {
  switch (dir) {
    case 'src':
      return gen(st, 0);
    case 'dst':
      return gen(st, 2);
    case 'and':
      return and(gen(st, 0), gen(st, 2));
    case 'default':
    case 'or':
      return or(gen(st, 0), gen(st, 2));
    default:
      return semanticError(`'${dir}' is not a valid qualifier for ports`);
  }
}

function portAtom(v6: boolean, lo: number, hi: number | undefined): PortAtom {
  const rel = v6 ? 'tran_ipv6' : 'tran_ipv4';
  if (hi === undefined) return (st, off) => st.cmp(rel, off, BPF.H, lo);
  const [a, b] = lo > hi ? [hi, lo] : [lo, hi];
  return (st, off) =>
    and(
      st.ncmp(rel, off, BPF.H, 0xffffffff, BPF.JGE, false, a),
      st.ncmp(rel, off, BPF.H, 0xffffffff, BPF.JGT, true, b),
    );
}

function portOp(st: GenState, v6: boolean, atomGen: PortAtom, ipProto: number, dir: string): Cond {
  const head = v6
    ? st.cmp('linkpl', 6, BPF.B, ipProto)
    : and(st.cmp('linkpl', 9, BPF.B, ipProto), genIpFrag(st));
  return and(head, portDirs(dir, atomGen, st));
}

export function portFamily(
  st: GenState,
  v6: boolean,
  lo: number,
  hi: number | undefined,
  ipProto: number | undefined,
  dir: string,
): Cond {
  const lt = genLinktype(st, v6 ? ETH.IPV6 : ETH.IP);
  const atomGen = portAtom(v6, lo, hi);
  let b: Cond;
  if (ipProto !== undefined) b = portOp(st, v6, atomGen, ipProto, dir);
  else {
    b = or(portOp(st, v6, atomGen, IPPROTO.TCP, dir), portOp(st, v6, atomGen, IPPROTO.UDP, dir));
    b = or(portOp(st, v6, atomGen, IPPROTO.SCTP, dir), b);
  }
  return and(lt, b);
}

/** `port`/`portrange` over IPv4 and IPv6 (IPv6 first, as gen_ncode/gen_scode build it). */
export function genPorts(
  st: GenState,
  lo: number,
  hi: number | undefined,
  ipProto: number | undefined,
  dir: string,
): Cond {
  const v4 = portFamily(st, false, lo, hi, ipProto, dir);
  return or(portFamily(st, true, lo, hi, ipProto, dir), v4);
}

/** `[ip|ip6|link|iso|isis] proto N` (gen_proto). */
export function genProto(st: GenState, v: number, proto: string, dir: string): Cond {
  if (dir !== 'default') semanticError("direction applied to 'proto'");
  switch (proto) {
    case 'default':
      return or(genProto(st, v, 'ip', dir), genProto(st, v, 'ip6', dir));
    case 'link':
      return genLinktype(st, v);
    case 'ip':
      return and(genLinktype(st, ETH.IP), st.cmp('linkpl', 9, BPF.B, v));
    case 'ip6': {
      const lt = genLinktype(st, ETH.IPV6);
      const viaFrag = and(st.cmp('linkpl', 6, BPF.B, IPPROTO.FRAGMENT), st.cmp('linkpl', 40, BPF.B, v));
      return and(lt, or(st.cmp('linkpl', 6, BPF.B, v), viaFrag));
    }
    case 'iso':
      return and(genLinktype(st, LLCSAP.ISONS), st.cmp('linkpl_nosnap', 0, BPF.B, v));
    case 'isis':
      return and(genProto(st, ISO.ISIS, 'iso', 'default'), st.cmp('linkpl_nosnap', 4, BPF.B, v));
    case 'arp':
    case 'rarp':
      return semanticError(`${proto} does not encapsulate another protocol`);
    default:
      return semanticError(`'${proto} proto' is bogus`);
  }
}

function isisAny(st: GenState, types: number[]): Cond {
  let b = genProto(st, types[1]!, 'isis', 'default');
  b = or(genProto(st, types[0]!, 'isis', 'default'), b);
  for (const t of types.slice(2)) b = or(genProto(st, t, 'isis', 'default'), b);
  return b;
}

const P = ISIS_PDU;
const ISIS_GROUPS: Record<string, number[]> = {
  l1: [P.L1_LAN_IIH, P.PTP_IIH, P.L1_LSP, P.L1_CSNP, P.L1_PSNP],
  l2: [P.L2_LAN_IIH, P.PTP_IIH, P.L2_LSP, P.L2_CSNP, P.L2_PSNP],
  iih: [P.L1_LAN_IIH, P.L2_LAN_IIH, P.PTP_IIH],
  lsp: [P.L1_LSP, P.L2_LSP],
  snp: [P.L1_CSNP, P.L2_CSNP, P.L1_PSNP, P.L2_PSNP],
  csnp: [P.L1_CSNP, P.L2_CSNP],
  psnp: [P.L1_PSNP, P.L2_PSNP],
};

const ABBREV_PROTO: Record<string, [number, string]> = {
  sctp: [IPPROTO.SCTP, 'default'],
  tcp: [IPPROTO.TCP, 'default'],
  udp: [IPPROTO.UDP, 'default'],
  icmp: [IPPROTO.ICMP, 'ip'],
  igmp: [IPPROTO.IGMP, 'ip'],
  igrp: [IPPROTO.IGRP, 'ip'],
  pim: [IPPROTO.PIM, 'default'],
  vrrp: [IPPROTO.VRRP, 'ip'],
  carp: [IPPROTO.VRRP, 'ip'],
  icmp6: [IPPROTO.ICMPV6, 'ip6'],
  ah: [IPPROTO.AH, 'default'],
  esp: [IPPROTO.ESP, 'default'],
  esis: [ISO.ESIS, 'iso'],
  isis: [ISO.ISIS, 'iso'],
  clnp: [ISO.CLNP, 'iso'],
};
const ABBREV_LINK: Record<string, number> = {
  ip: ETH.IP,
  arp: ETH.ARP,
  rarp: ETH.REVARP,
  atalk: ETH.ATALK,
  aarp: ETH.AARP,
  decnet: ETH.DN,
  sca: ETH.SCA,
  lat: ETH.LAT,
  mopdl: ETH.MOPDL,
  moprc: ETH.MOPRC,
  ip6: ETH.IPV6,
  iso: LLCSAP.ISONS,
  stp: LLCSAP.STP,
  ipx: LLCSAP.IPX,
  netbeui: LLCSAP.NETBEUI,
};

/** A protocol name used alone (`tcp`, `arp`, `csnp`...): gen_proto_abbrev. */
export function genProtoAbbrev(st: GenState, proto: string): Cond {
  if (proto === 'link') semanticError('link layer applied in wrong context');
  const viaProto = ABBREV_PROTO[proto];
  if (viaProto) return genProto(st, viaProto[0], viaProto[1], 'default');
  const viaLink = ABBREV_LINK[proto];
  if (viaLink !== undefined) return genLinktype(st, viaLink);
  const isis = ISIS_GROUPS[proto];
  if (isis) return isisAny(st, isis);
  return semanticError(`'${proto}' cannot be used alone`);
}

/** `[ip|ip6] protochain N`: follow IPv6 extension headers and AH to find protocol N. */
export function genProtochain(st: GenState, v: number, proto: string): Cond {
  if (proto === 'default') return or(genProtochain(st, v, 'ip'), genProtochain(st, v, 'ip6'));
  if (proto !== 'ip' && proto !== 'ip6') semanticError("bad protocol applied for 'protochain'");
  if (st.offLinkpl.isVariable) semanticError("'protochain' not supported with variable length headers");
  const reg = st.allocReg();
  const ipv6 = proto === 'ip6';
  const lt = genLinktype(st, ipv6 ? ETH.IPV6 : ETH.IP);
  st.freeReg(reg);
  return and(lt, { t: 'protochain', ipv6, nl: st.offLinkpl.constant + st.offNl, proto: v >>> 0, reg });
}

/** `ip broadcast` with the netmask tcpdump uses for files; `ip/ip6 multicast`. */
export function genIpBroadcast(st: GenState): Cond {
  const hostmask = ~st.netmask >>> 0;
  const lt = genLinktype(st, ETH.IP);
  return and(
    lt,
    or(st.mcmp('linkpl', 16, BPF.W, 0, hostmask), st.mcmp('linkpl', 16, BPF.W, hostmask, hostmask)),
  );
}

export function genIpMulticast(st: GenState, v6: boolean): Cond {
  if (v6) return and(genLinktype(st, ETH.IPV6), st.cmp('linkpl', 24, BPF.B, 255));
  return and(genLinktype(st, ETH.IP), st.ncmp('linkpl', 16, BPF.B, 0xffffffff, BPF.JGE, false, 224));
}
