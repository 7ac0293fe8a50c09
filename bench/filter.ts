/**
 * Filter benchmark: meshtap read + filter + write of a large capture against
 * `tcpdump -r BIG -w OUT EXPR`, for a handful of typical expressions, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCaptureWriter, openCapture, readCaptureBuffer } from '../src/pcap/index.js';
import type { PacketRecord } from '../src/pcap/record.js';
import { createFilterMatcher } from '../src/filter/index.js';

export const BENCH_EXPRESSIONS = [
  'tcp port 80',
  'host 10.0.0.1 or host 192.168.1.1',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'udp and (port 53 or port 5353)',
  'net 10.0.0.0/8 and not port 22',
  'vlan and ip',
];

export interface FilterBenchResult {
  expression: string;
  meshtapMs: number;
  tcpdumpMs: number;
  /** meshtap time / tcpdump time (goal: <= 1.5). */
  ratio: number;
  meshtapPackets: number;
  /** The predicate alone over the records held in memory (no I/O): what the filter itself costs. */
  predicateMs: number;
}

function predicateOnly(records: PacketRecord[], expr: string): number {
  const matches = createFilterMatcher(expr);
  const t = performance.now();
  let n = 0;
  for (const r of records) if (matches(r)) n++;
  return n >= 0 ? performance.now() - t : 0;
}

async function meshtapFilter(input: string, output: string, expr: string): Promise<number> {
  const reader = await openCapture(input);
  const writer = createCaptureWriter(output, { format: 'pcap', interfaces: [...reader.interfaces] });
  const matches = createFilterMatcher(expr);
  for await (const batch of reader.batches()) {
    for (const record of batch) if (matches(record)) writer.write(record);
    await writer.flush();
  }
  await writer.close();
  await reader.close();
  return writer.packetsWritten;
}

function tcpdumpFilter(input: string, output: string, expr: string): void {
  const r = spawnSync('tcpdump', ['-r', input, '-w', output, '--', expr], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tcpdump failed: ${r.stderr}`);
}

/** Times both tools on each expression (best of `rounds`) and prints the ratios. */
export async function benchFilter(bigCapturePath: string, rounds = 3): Promise<FilterBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-bench-filter-'));
  const results: FilterBenchResult[] = [];
  const inMemory = readCaptureBuffer(readFileSync(bigCapturePath)).records;
  try {
    for (const expression of BENCH_EXPRESSIONS) {
      let meshtapMs = Infinity;
      let tcpdumpMs = Infinity;
      let meshtapPackets = 0;
      for (let i = 0; i < rounds; i++) {
        let t = performance.now();
        meshtapPackets = await meshtapFilter(bigCapturePath, join(dir, 'meshtap.pcap'), expression);
        meshtapMs = Math.min(meshtapMs, performance.now() - t);
        t = performance.now();
        tcpdumpFilter(bigCapturePath, join(dir, 'tcpdump.pcap'), expression);
        tcpdumpMs = Math.min(tcpdumpMs, performance.now() - t);
      }
      const predicateMs = predicateOnly(inMemory, expression);
      const r = {
        expression,
        meshtapMs,
        tcpdumpMs,
        ratio: meshtapMs / tcpdumpMs,
        meshtapPackets,
        predicateMs,
      };
      results.push(r);
      console.log(
        `${expression.padEnd(42)} meshtap ${meshtapMs.toFixed(0).padStart(6)} ms  tcpdump ${tcpdumpMs.toFixed(0).padStart(6)} ms  ratio ${r.ratio.toFixed(2)}  (predicate alone ${predicateMs.toFixed(0)} ms)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
