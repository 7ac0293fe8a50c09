import type { FilterAst, FilterNode } from './ast.js';
import { and, not, or, staticValue, type Cond } from './ir.js';
import { foldConstants } from './fold.js';
import { DLT, GenState } from './state.js';
import { genId } from './gen-id.js';
import { genIpBroadcast, genIpMulticast, genProtoAbbrev } from './gen-ip.js';
import { genByteop, genLen, genRelation } from './gen-arith.js';
import {
  genLinkBroadcast,
  genLinkMulticast,
  genLlc,
  genMpls,
  genPppoed,
  genPppoes,
  genVlan,
  linkTypeName,
} from './gen-link.js';
import { genGeneve } from './gen-geneve.js';
import { FilterCompileError, notApplicable, semanticError } from './errors.js';

/** pcap LINKTYPE_* value → the DLT the code generator uses, for the link types meshtap reads. */
export function dltForLinkType(linkType: number): number {
  switch (linkType) {
    case 0:
      return DLT.NULL;
    case 1:
      return DLT.EN10MB;
    case 12:
    case 14:
    case 101:
      return DLT.RAW;
    case 108:
      return DLT.LOOP;
    case 113:
      return DLT.LINUX_SLL;
    case 228:
      return DLT.IPV4;
    case 229:
      return DLT.IPV6;
    case 276:
      return DLT.LINUX_SLL2;
    default:
      return notApplicable(`link type ${linkType} is not supported by the filter compiler`);
  }
}

function genBroadcast(st: GenState, proto: string): Cond {
  if (proto === 'default' || proto === 'link') return genLinkBroadcast(st);
  if (proto === 'ip') return genIpBroadcast(st);
  return semanticError('only link-layer/IP broadcast filters supported');
}

function genMulticast(st: GenState, proto: string): Cond {
  if (proto === 'default' || proto === 'link') return genLinkMulticast(st);
  if (proto === 'ip' || proto === 'ip6') return genIpMulticast(st, proto === 'ip6');
  return notApplicable(
    'link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel',
  );
}

/** Primitives that match an encapsulation and move the offsets of everything after them. */
const ENCAPSULATIONS: Record<
  'vlan' | 'mpls' | 'pppoes' | 'geneve',
  (st: GenState, n: number | undefined) => Cond
> = {
  vlan: genVlan,
  mpls: genMpls,
  pppoes: genPppoes,
  geneve: genGeneve,
};

/** Generates code for a node; children in source order, because some primitives move offsets. */
function gen(st: GenState, n: FilterNode): Cond {
  switch (n.k) {
    case 'and':
    case 'or': {
      const a = gen(st, n.a);
      const b = gen(st, n.b);
      return n.k === 'and' ? and(a, b) : or(a, b);
    }
    case 'not':
      return not(gen(st, n.a));
    case 'id':
      return genId(st, n);
    case 'pname':
      if (n.proto === 'radio') return semanticError("'radio' is not supported by meshtap");
      return genProtoAbbrev(st, n.proto);
    case 'rel':
      return genRelation(st, n.op, n.a, n.b);
    case 'broadcast':
    case 'multicast':
      return (n.k === 'broadcast' ? genBroadcast : genMulticast)(st, n.proto);
    case 'less':
    case 'greater':
      return genLen(n.k === 'greater', n.n);
    case 'byte':
      return genByteop(st, n.op, n.index, n.value);
    case 'vlan':
    case 'mpls':
    case 'pppoes':
    case 'geneve':
      return ENCAPSULATIONS[n.k](st, n.n);
    case 'pppoed':
      return genPppoed(st);
    case 'llc':
      return genLlc(st, n.sub);
    case 'unsupported':
      return notApplicable(`${n.what} not supported on ${linkTypeName(st.linktype)} when reading savefiles`);
  }
}

export interface CompileOptions {
  /** Byte order of DLT_NULL headers (libpcap: the capture file's byte order). Default true. */
  nullLittleEndian?: boolean;
  /** Netmask for `ip broadcast`; tcpdump uses 0 for files. */
  netmask?: number;
}

export interface CondProgram {
  root: Cond | null;
  /** libpcap's optimizer would prove the filter never matches ("expression rejects all packets"). */
  rejectsAll: boolean;
}

/** Turns a parsed filter into the shared condition tree for one link type. */
export function buildConditions(ast: FilterAst, linkType: number, opts: CompileOptions = {}): CondProgram {
  const st = new GenState(dltForLinkType(linkType), opts.nullLittleEndian ?? true, opts.netmask ?? 0);
  if (!ast) return { root: null, rejectsAll: false };
  try {
    const root = foldConstants(gen(st, ast));
    return { root, rejectsAll: staticValue(root) === false };
  } catch (e) {
    if (e instanceof FilterCompileError && e.position === undefined) {
      throw new FilterCompileError(e.code as 'FILTER_SEMANTIC', e.message);
    }
    throw e;
  }
}
