import type { IdNode } from './ast.js';
import type { Cond } from './ir.js';
import type { GenState } from './state.js';
import { FilterSyntaxError, semanticError } from './errors.js';
import { atodn, atoin, isIPv6Literal, parseEther, parseIPv6 } from './addr.js';
import { genEtherHost } from './gen-link.js';
import { genHost, genHost6, genPorts, genProto, genProtochain } from './gen-ip.js';
import { lookupPort, lookupPortRange, lookupProtoName } from './names.js';
import { IPPROTO } from './consts.js';

const PORT_PROTOS: Record<string, number | undefined> = {
  tcp: IPPROTO.TCP,
  udp: IPPROTO.UDP,
  sctp: IPPROTO.SCTP,
  default: undefined,
};

function portProto(proto: string, what: 'port' | 'portrange'): number | undefined {
  if (!(proto in PORT_PROTOS)) semanticError(`illegal qualifier of '${what}'`);
  return PORT_PROTOS[proto];
}

/** A number or dotted address under the id's qualifiers (libpcap gen_ncode). */
function genNcode(st: GenState, node: IdNode, s: string | undefined, value: number): Cond {
  const { proto, dir, addr } = node.q as { proto: string; dir: string; addr: string };
  let v = value >>> 0;
  let vlen = 32;
  if (s !== undefined && proto === 'decnet') {
    const dn = atodn(s);
    if (dn === undefined) semanticError(`malformed decnet address '${s}'`);
    v = dn;
  } else if (s !== undefined) {
    const r = atoin(s);
    if (!r) semanticError(`invalid IPv4 address '${s}'`);
    [v, vlen] = r;
  }
  switch (addr) {
    case 'default':
    case 'host':
    case 'net': {
      if (proto === 'decnet') return genHost(st, v, 0, proto, dir, addr === 'net' ? 'net' : 'host');
      if (proto === 'link') semanticError('illegal link layer address');
      let mask = 0xffffffff;
      if (s === undefined && addr === 'net') {
        while (v && (v & 0xff000000) === 0) {
          v = (v << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      } else if (vlen < 32) {
        v = (v << (32 - vlen)) >>> 0;
        mask = (mask << (32 - vlen)) >>> 0;
      }
      return genHost(st, v, mask, proto, dir, addr === 'net' ? 'net' : 'host');
    }
    case 'port':
    case 'portrange': {
      const ipProto = portProto(proto, addr);
      if (v > 65535) semanticError(`illegal port number ${v} > 65535`);
      return genPorts(st, v, addr === 'port' ? undefined : v, ipProto, dir);
    }
    case 'gateway':
      return semanticError("'gateway' requires a name");
    case 'proto':
      return genProto(st, v, proto, dir);
    default:
      return genProtochain(st, v, proto);
  }
}

function checkRealProto(
  proto: string,
  real: number | undefined,
  name: string,
  inRange: boolean,
): number | undefined {
  const want = PORT_PROTOS[proto];
  if (want === undefined) return real;
  const label = inRange ? `port in range '${name}'` : `port '${name}'`;
  if (real !== undefined && real !== want) {
    semanticError(`${label} is ${real === IPPROTO.TCP ? 'tcp' : real === IPPROTO.UDP ? 'udp' : 'sctp'}`);
  }
  return want;
}

/** A name under the id's qualifiers (libpcap gen_scode), without DNS or /etc files. */
function genScode(st: GenState, node: IdNode): Cond {
  const { proto, dir, addr } = node.q as { proto: string; dir: string; addr: string };
  const name = node.text;
  switch (addr) {
    case 'net':
      return semanticError(`unknown network '${name}'`);
    case 'default':
    case 'host':
      return semanticError(`unknown host '${name}' (meshtap does not resolve host names)`);
    case 'port': {
      portProto(proto, 'port');
      const p = lookupPort(name);
      if (!p) semanticError(`unknown port '${name}'`);
      return genPorts(st, p.port, undefined, checkRealProto(proto, p.proto, name, false), dir);
    }
    case 'portrange': {
      portProto(proto, 'portrange');
      const r = lookupPortRange(name);
      if (!r) semanticError(`unknown port in range '${name}'`);
      for (const n of [r.lo, r.hi]) {
        if (n < 0) semanticError(`illegal port number ${n} < 0`);
        if (n > 65535) semanticError(`illegal port number ${n} > 65535`);
      }
      return genPorts(st, r.lo, r.hi, checkRealProto(proto, r.proto, name, true), dir);
    }
    case 'gateway':
      return semanticError("'gateway' needs host name resolution, which meshtap does not do");
    default: {
      const r = lookupProtoName(name, proto);
      if (r.value === undefined) semanticError(r.error!);
      return addr === 'proto' ? genProto(st, r.value, proto, dir) : genProtochain(st, r.value, proto);
    }
  }
}

function genMcode(st: GenState, node: IdNode): Cond {
  const { proto, dir, addr } = node.q as { proto: string; dir: string; addr: string };
  const n0 = atoin(node.text);
  if (!n0) semanticError(`invalid IPv4 address '${node.text}'`);
  const n = (n0[0] << (32 - n0[1])) >>> 0;
  let m: number;
  if (node.mask !== undefined) {
    const m0 = atoin(node.mask);
    if (!m0) semanticError(`invalid IPv4 address '${node.mask}'`);
    m = (m0[0] << (32 - m0[1])) >>> 0;
    if ((n & ~m) >>> 0) semanticError(`non-network bits set in "${node.text} mask ${node.mask}"`);
  } else {
    const len = node.prefixLen!;
    if (len > 32) semanticError('mask length must be <= 32');
    m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if ((n & ~m) >>> 0) semanticError(`non-network bits set in "${node.text}/${len}"`);
  }
  if (addr !== 'net') semanticError('Mask syntax for networks only');
  return genHost(st, n, m, proto, dir, 'net');
}

function genMcode6(st: GenState, node: IdNode): Cond {
  const { proto, dir, addr } = node.q as { proto: string; dir: string; addr: string };
  if (!isIPv6Literal(node.text)) semanticError(`invalid ip6 address ${node.text}`);
  const a = parseIPv6(node.text);
  const len = node.prefixLen ?? 128;
  if (len > 128) semanticError('mask length must be <= 128');
  const mask = new Uint8Array(16);
  mask.fill(0xff, 0, len >> 3);
  if (len % 8) mask[len >> 3] = (0xff << (8 - (len % 8))) & 0xff;
  if (a.some((byte, i) => (byte & ~mask[i]!) !== 0))
    semanticError(`non-network bits set in "${node.text}/${len}"`);
  if ((addr === 'default' || addr === 'host') && len !== 128) semanticError('Mask syntax for networks only');
  if (addr !== 'default' && addr !== 'host' && addr !== 'net')
    semanticError('invalid qualifier against IPv6 address');
  return genHost6(st, a, mask, proto, dir, addr === 'net' ? 'net' : 'host');
}

const HOST_ONLY: Record<string, string> = {
  port: "'port' modifier applied to ip host",
  portrange: "'portrange' modifier applied to ip host",
  proto: "'proto' modifier applied to ip host",
  protochain: "'protochain' modifier applied to ip host",
};

/** Code for one identifier (address, number or name) under its qualifiers. */
export function genId(st: GenState, node: IdNode): Cond {
  const { q } = node;
  if (q.addr === undefined || q.proto === undefined || q.dir === undefined) {
    throw new FilterSyntaxError('syntax error in filter expression', node.pos);
  }
  switch (node.kind) {
    case 'NUM':
      return genNcode(st, node, undefined, node.num);
    case 'HID':
      if (HOST_ONLY[q.addr]) semanticError(HOST_ONLY[q.addr]!);
      if (node.prefixLen !== undefined || node.mask !== undefined) return genMcode(st, node);
      return genNcode(st, node, node.text, 0);
    case 'HID6':
      return genMcode6(st, node);
    case 'EID':
      if ((q.addr === 'host' || q.addr === 'default') && q.proto === 'link')
        return genEtherHost(st, parseEther(node.text), q.dir);
      return semanticError('ethernet address used in non-ether expression');
    case 'ID':
      return genScode(st, node);
  }
}
