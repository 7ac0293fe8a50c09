import type { PacketRecord } from '../pcap/record.js';
import type { FilterAst } from './ast.js';
import { FilterCompileError, FilterSyntaxError } from './errors.js';
import type { BpfInstruction } from './ir.js';
import { parseFilter } from './parser.js';
import { buildConditions, type CompileOptions } from './compile.js';
import { compileToJs } from './js-backend.js';
import { compileToBpf } from './bpf-backend.js';

export { FilterCompileError, FilterSyntaxError, parseFilter };
export { runBpf } from './bpf-interp.js';
export type { BpfInstruction, FilterAst };

export interface FilterOptions extends CompileOptions {
  /** Value the BPF program returns for accepted packets (tcpdump's default is 262144). */
  snaplen?: number;
}

export interface CompiledFilter {
  expression: string;
  linkType: number;
  /** True when libpcap would refuse the filter as "expression rejects all packets". */
  rejectsAll: boolean;
  match(data: Uint8Array, caplen: number, origLen: number): boolean;
  bpf(): BpfInstruction[];
}

/** Compiles a pcap-filter expression for one link type (pcap LINKTYPE_* value). Throws typed errors. */
export function compileFilter(expr: string, linkType: number, opts: FilterOptions = {}): CompiledFilter {
  const { root, rejectsAll } = buildConditions(parseFilter(expr), linkType, opts);
  const match = rejectsAll ? () => false : compileToJs(root);
  let program: BpfInstruction[] | undefined;
  return {
    expression: expr,
    linkType,
    rejectsAll,
    match,
    bpf: () => (program ??= compileToBpf(root, opts.snaplen ?? 262144)).map((i) => ({ ...i })),
  };
}

export type FilterError = FilterSyntaxError | FilterCompileError;

/** Returns the errors compiling `expr` for `linkType` would raise (empty when it compiles). */
export function validateFilter(expr: string, linkType: number): FilterError[] {
  try {
    compileFilter(expr, linkType);
    return [];
  } catch (e) {
    if (e instanceof FilterSyntaxError || e instanceof FilterCompileError) return [e];
    throw e;
  }
}

/**
 * A record predicate for captures that may mix link types (pcapng): the expression is parsed
 * once (syntax errors throw here) and compiled lazily per link type; the first link type it
 * cannot apply to throws the typed error.
 */
export function createFilterMatcher(
  expr: string,
  opts: FilterOptions = {},
): (record: PacketRecord) => boolean {
  parseFilter(expr);
  const byLinkType = new Map<number, CompiledFilter['match']>();
  let lastLinkType = -1;
  let lastMatch: CompiledFilter['match'] = () => false;
  return (record) => {
    if (record.linkType !== lastLinkType) {
      let match = byLinkType.get(record.linkType);
      if (!match) {
        match = compileFilter(expr, record.linkType, opts).match;
        byLinkType.set(record.linkType, match);
      }
      lastLinkType = record.linkType;
      lastMatch = match;
    }
    return lastMatch(record.data, record.data.length, record.origLen);
  };
}
