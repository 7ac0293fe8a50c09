// Differential oracle: ../shared/corpus/filters/expected_matches.tsv was produced with tcpdump
// 4.99.3 / libpcap 1.10.3 (`tcpdump -r PCAP -w out EXPR`, outputs matched back to inputs).
// The BPF program generated for every case must give the same verdicts under our interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileFilter, runBpf, type BpfInstruction, type CompiledFilter } from '../../src/filter/index.js';
import type { PacketRecord } from '../../src/pcap/record.js';
import { PCAP_DIR, expandRanges, readCapture, tsvRows } from './support.js';

const captures = new Map<string, PacketRecord[]>();
function records(file: string): PacketRecord[] {
  if (!captures.has(file)) captures.set(file, readCapture(join(PCAP_DIR, file)));
  return captures.get(file)!;
}

interface Verdicts {
  js: Set<number>;
  bpfMismatches: number;
}

const compiled = new Map<string, { f: CompiledFilter; prog: BpfInstruction[] }>();
function compileCached(expr: string, linkType: number): { f: CompiledFilter; prog: BpfInstruction[] } {
  const key = `${linkType} ${expr}`;
  if (!compiled.has(key)) {
    const f = compileFilter(expr, linkType);
    compiled.set(key, { f, prog: f.bpf() });
  }
  return compiled.get(key)!;
}

function evaluate(expr: string, recs: PacketRecord[]): Verdicts {
  const { f, prog } = compileCached(expr, recs[0]!.linkType);
  const js = new Set<number>();
  let bpfMismatches = 0;
  recs.forEach((r, i) => {
    const m = f.match(r.data, r.data.length, r.origLen);
    if (m) js.add(i + 1);
    const b = runBpf(prog, r.data, r.data.length, r.origLen) !== 0;
    if (b !== m && !f.rejectsAll) bpfMismatches++;
  });
  return { js, bpfMismatches };
}

test('expected_matches.tsv: every expression x capture agrees with libpcap', () => {
  const rows = tsvRows('expected_matches.tsv', 'expression\t');
  assert.equal(rows.length, 7500);
  const failures: string[] = [];
  let bpfMismatches = 0;
  for (const [expr, file, , , accepted] of rows) {
    const refused = accepted!.startsWith('compile-error') && !accepted!.includes('rejects all packets');
    let got: Set<number> | string;
    try {
      const v = evaluate(expr!, records(file!));
      bpfMismatches += v.bpfMismatches;
      got = v.js;
    } catch (e) {
      got = `error ${(e as { code?: string }).code}`;
    }
    const want = refused ? 'refused' : expandRanges(accepted!.startsWith('compile-error') ? '-' : accepted!);
    const same = typeof got === 'string' ? want === 'refused' : want !== 'refused' && setsEqual(got, want);
    if (!same) failures.push(`${expr} on ${file}`);
  }
  assert.deepEqual(failures, []);
  assert.equal(bpfMismatches, 0, 'BPF interpreter and JS predicate disagree');
});

test('refusals carry FILTER_NOT_APPLICABLE for link-type problems', () => {
  assert.throws(() => compileFilter('ether host 00:11:22:33:44:55', 101), { code: 'FILTER_NOT_APPLICABLE' });
  assert.throws(() => compileFilter('vlan 100', 0), { code: 'FILTER_NOT_APPLICABLE' });
  assert.throws(() => compileFilter('llc', 113), { code: 'FILTER_NOT_APPLICABLE' });
});

test('filters libpcap proves always-false compile to a matcher that rejects everything', () => {
  const f = compileFilter('arp', 0);
  assert.equal(f.rejectsAll, true);
  assert.equal(f.match(new Uint8Array([2, 0, 0, 0]), 4, 4), false);
});

function setsEqual(a: Set<number>, b: Set<number>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
