import type { RecordGate } from '../pcap/parser.js';
import type { PacketRecord } from '../pcap/record.js';
import type { FilterAst } from './ast.js';
import { FilterCompileError, FilterSyntaxError, FilterTooComplexError } from './errors.js';
import type { BpfInstruction } from './ir.js';
import { parseFilter } from './parser.js';
import { buildConditions, type CompileOptions } from './compile.js';
import { compileToJs } from './js-backend.js';
import { compileToBpf } from './bpf-backend.js';

export { FilterCompileError, FilterSyntaxError, FilterTooComplexError, parseFilter };
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
  /** `offset` is where the frame starts in `data` (0 when `data` is the frame). */
  match(data: Uint8Array, caplen: number, origLen: number, offset?: number): boolean;
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

export type FilterError = FilterSyntaxError | FilterCompileError | FilterTooComplexError;

/** Returns the errors compiling `expr` for `linkType` would raise (empty when it compiles). */
export function validateFilter(expr: string, linkType: number): FilterError[] {
  try {
    compileFilter(expr, linkType);
    return [];
  } catch (e) {
    if (
      e instanceof FilterSyntaxError ||
      e instanceof FilterCompileError ||
      e instanceof FilterTooComplexError
    )
      return [e];
    throw e;
  }
}

/**
 * A frame predicate over a range of `bytes` (a reader's window, or the frame itself at offset
 * 0): the shape of a reader's gate, so that a matcher can filter records as they are parsed.
 */
export type FrameMatcher = RecordGate;

/**
 * A frame predicate for captures that may mix link types (pcapng): the expression is parsed
 * once (syntax errors throw here) and compiled lazily per link type; the first link type it
 * cannot apply to throws the typed error.
 */
export function createFrameMatcher(expr: string, opts: FilterOptions = {}): FrameMatcher {
  parseFilter(expr);
  const byLinkType = new Map<number, CompiledFilter['match']>();
  let lastLinkType = -1;
  let lastMatch: CompiledFilter['match'] = () => false;
  return (bytes, offset, caplen, origLen, linkType) => {
    if (linkType !== lastLinkType) {
      let match = byLinkType.get(linkType);
      if (!match) {
        match = compileFilter(expr, linkType, opts).match;
        byLinkType.set(linkType, match);
      }
      lastLinkType = linkType;
      lastMatch = match;
    }
    return lastMatch(bytes, caplen, origLen, offset);
  };
}

/** createFrameMatcher for whole records (each record's `data` is its frame). */
export function createFilterMatcher(
  expr: string,
  opts: FilterOptions = {},
): (record: PacketRecord) => boolean {
  const matches = createFrameMatcher(expr, opts);
  return (record) => {
    const data = record.data;
    return matches(data, 0, data.length, record.origLen, record.linkType);
  };
}
