/**
 * Syntax tree of a pcap-filter expression. Every identifier carries the qualifiers the grammar
 * gave it (explicit `tcp dst port`, or inherited as in `port 80 or 443`), resolved at parse time.
 */

/** A protocol qualifier (`pname` in libpcap's grammar) or 'default' when none was given. */
export type ProtoQual = string;
export type DirQual =
  'default' | 'src' | 'dst' | 'or' | 'and' | 'addr1' | 'addr2' | 'addr3' | 'addr4' | 'ra' | 'ta';
export type AddrQual = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'protochain' | 'gateway';

/** Qualifiers of an identifier; `undefined` fields are libpcap's "qerr" (no qualifier context). */
export interface Qualifiers {
  proto: ProtoQual | undefined;
  dir: DirQual | undefined;
  addr: AddrQual | undefined;
}

export type IdKind = 'ID' | 'HID' | 'HID6' | 'EID' | 'NUM';

export interface IdNode {
  k: 'id';
  kind: IdKind;
  text: string;
  num: number;
  q: Qualifiers;
  /** `a.b.c.d/len` or `ip6/len`. */
  prefixLen?: number;
  /** `a.b mask c.d`. */
  mask?: string;
  pos: number;
}

export type ArithNode =
  | { k: 'num'; value: number; pos: number }
  | { k: 'len'; pos: number }
  | { k: 'load'; proto: ProtoQual; index: ArithNode; size: number; pos: number }
  | { k: 'bin'; op: string; a: ArithNode; b: ArithNode; pos: number }
  | { k: 'neg'; a: ArithNode; pos: number };

export type RelOp = '>' | '>=' | '=' | '<=' | '<' | '!=';

export type FilterNode =
  | { k: 'and' | 'or'; a: FilterNode; b: FilterNode; pos: number }
  | { k: 'not'; a: FilterNode; pos: number }
  | IdNode
  | { k: 'pname'; proto: ProtoQual; pos: number }
  | { k: 'rel'; op: RelOp; a: ArithNode; b: ArithNode; pos: number }
  | { k: 'broadcast' | 'multicast'; proto: ProtoQual; pos: number }
  | { k: 'less' | 'greater'; n: number; pos: number }
  | { k: 'byte'; index: number; op: string; value: number; pos: number }
  | { k: 'vlan' | 'mpls' | 'pppoes' | 'geneve'; n: number | undefined; pos: number }
  | { k: 'pppoed'; pos: number }
  | { k: 'llc'; sub: string | undefined; pos: number }
  | { k: 'unsupported'; what: string; pos: number };

/** An empty expression (tcpdump with no filter) matches every packet. */
export type FilterAst = FilterNode | null;
