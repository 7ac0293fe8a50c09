/**
 * Shared material for the filter tests: corpus captures grouped by link type, a minimal pcap
 * writer, and a pool that runs tcpdump (the reference) concurrently.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRecord, readCaptureBuffer } from '../../src/pcap/index.js';
import type { BpfInstruction } from '../../src/filter/index.js';
import { BPF } from '../../src/filter/ir.js';
import type { PacketRecord } from '../../src/pcap/record.js';
import { FILTER_DIR, PCAP_DIR, corpusCaptures } from '../helpers/corpus.js';

export const SUPPORTED_LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

export interface LinkTypeCapture {
  linkType: number;
  path: string;
  records: PacketRecord[];
}

export function readCapture(path: string): PacketRecord[] {
  return readCaptureBuffer(readFileSync(path)).records;
}

/** Encodes records as a little-endian microsecond pcap file. */
export function encodePcap(records: PacketRecord[], linkType: number): Uint8Array {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, linkType, true);
  let off = 24;
  for (const r of records) {
    dv.setUint32(off, r.tsSec, true);
    dv.setUint32(off + 4, Math.floor(r.tsNsec / 1000), true);
    dv.setUint32(off + 8, r.data.length, true);
    dv.setUint32(off + 12, r.origLen, true);
    out.set(r.data, off + 16);
    off += 16 + r.data.length;
  }
  return out;
}

let merged: LinkTypeCapture[] | undefined;

/**
 * Every corpus record with a link type the compiler supports, one pcap per link type (a filter
 * is a per-packet function, so merging captures of one link type changes no verdict).
 */
export function mergedCorpus(): LinkTypeCapture[] {
  if (merged) return merged;
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-filter-'));
  const byType = new Map<number, PacketRecord[]>();
  for (const path of corpusCaptures()) {
    for (const r of readCapture(path)) {
      if (!SUPPORTED_LINK_TYPES.includes(r.linkType) || r.data.length > 262144) continue;
      if (!byType.has(r.linkType)) byType.set(r.linkType, []);
      byType.get(r.linkType)!.push(copyRecord(r));
    }
  }
  byType.get(LINKTYPE_ETHERNET)?.push(...shortEthernetFrames());
  merged = [...byType].map(([linkType, records]) => {
    const path = join(dir, `linktype-${linkType}.pcap`);
    writeFileSync(path, encodePcap(records, linkType));
    return { linkType, path, records: readCapture(path) };
  });
  return merged;
}

const LINKTYPE_ETHERNET = 1;

/**
 * Ethernet frames that end inside their IP or UDP header, which the corpus lacks (its only
 * short frame, 8 bytes, ends before the ethertype): a load past a packet's end rejects it
 * unless libpcap's optimizer removed the load, so these pin the folds that follow the
 * optimizer for IP-level loads. tcpdump judges them as it judges the corpus.
 */
function shortEthernetFrames(): PacketRecord[] {
  const ethernet = 'ffffffffffff020000000001';
  const udp53 = '0035003500080000';
  const ipv4 = Buffer.from(`${ethernet}0800` + '4500001c00004000401100000a0000010a000002' + udp53, 'hex');
  const ipv6 = Buffer.from(
    `${ethernet}86dd` + '6000000000081140' + '20010db8000000000000000000000001'.repeat(2) + udp53,
    'hex',
  );
  const cuts: Array<[Buffer, number]> = [
    [ipv4, 20],
    [ipv4, 34],
    [ipv4, 38],
    [ipv6, 30],
    [ipv6, 54],
  ];
  return cuts.map(([frame, length], i) => {
    const data = Uint8Array.from(frame.subarray(0, length));
    return {
      data,
      origLen: length,
      tsSec: 1_700_000_000 + i,
      tsNsec: 0,
      linkType: LINKTYPE_ETHERNET,
      interfaceId: 0,
    };
  });
}

function sameRecord(a: PacketRecord, b: PacketRecord): boolean {
  if (a.data.length !== b.data.length || a.origLen !== b.origLen || a.tsSec !== b.tsSec) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** Indexes of `input` that tcpdump wrote out (output is an in-order subsequence of input). */
export function acceptedIndexes(input: PacketRecord[], output: PacketRecord[]): number[] {
  const out: number[] = [];
  let i = 0;
  for (const o of output) {
    while (i < input.length && !sameRecord(input[i]!, o)) i++;
    if (i === input.length) throw new Error('tcpdump output record not found in input');
    out.push(i++);
  }
  return out;
}

export interface TcpdumpResult {
  ok: boolean;
  accepted: number[];
  stderr: string;
}

function runTcpdump(capture: LinkTypeCapture, expr: string): Promise<TcpdumpResult> {
  return new Promise((resolve) => {
    const child = spawn('tcpdump', ['-r', capture.path, '-w', '-', '--', expr], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => {
      if (status !== 0) return resolve({ ok: false, accepted: [], stderr });
      const records = readCaptureBuffer(Buffer.concat(chunks)).records;
      resolve({ ok: true, accepted: acceptedIndexes(capture.records, records), stderr });
    });
  });
}

/** Runs tcpdump jobs with bounded concurrency (tcpdump start-up dominates on tiny files). */
export async function tcpdumpAll(
  jobs: { capture: LinkTypeCapture; expr: string }[],
  concurrency = 6,
): Promise<TcpdumpResult[]> {
  const results: TcpdumpResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await runTcpdump(jobs[i]!.capture, jobs[i]!.expr);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** The expressions of the shared corpus (comments and blank lines removed). */
export function corpusExpressions(): string[] {
  return readFileSync(join(FILTER_DIR, 'expressions.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

/** "1,3-5" → {1,3,4,5} (1-based packet numbers of the oracle files). */
export function expandRanges(s: string): Set<number> {
  const out = new Set<number>();
  if (!s || s === '-') return out;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
}

export function tsvRows(name: string, header: string): string[][] {
  return readFileSync(join(FILTER_DIR, name), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !l.startsWith(header))
    .map((l) => l.split('\t'));
}

export { FILTER_DIR, PCAP_DIR, readdirSync };

/**
 * Whether some path through a classic BPF program loads a scratch memory word before any
 * store to it. libpcap's interpreter leaves scratch memory uninitialized (`u_int32
 * mem[BPF_MEMWORDS];` in bpf_filter.c), so tcpdump's verdict then depends on stack garbage:
 * `not geneve and …` reads the inner offsets that only a matching geneve stored. Jumps only
 * go forward, so one pass in order sees every predecessor of an instruction first; a jump
 * whose target lies outside the program is not followed.
 */
export function readsUnsetScratch(prog: readonly BpfInstruction[]): boolean {
  // Per instruction: the scratch words stored on every path reaching it (bit n: M[n]); -1: unreached.
  const stored = new Array<number>(prog.length + 1).fill(-1);
  stored[0] = 0;
  const reach = (pc: number, set: number) => {
    if (pc < stored.length) stored[pc] = stored[pc] === -1 ? set : stored[pc]! & set;
  };
  for (let pc = 0; pc < prog.length; pc++) {
    let set = stored[pc]!;
    if (set === -1) continue;
    const { code, k, jt, jf } = prog[pc]!;
    const cls = code & 0x07;
    const mode = code & 0xe0;
    if ((cls === BPF.LD || cls === BPF.LDX) && mode === BPF.MEM && (set & (1 << k)) === 0) return true;
    if (cls === BPF.ST || cls === BPF.STX) set |= 1 << k;
    if (cls === BPF.RET) continue;
    if (cls === BPF.JMP) {
      if ((code & 0xf0) === BPF.JA) reach(pc + 1 + k, set);
      else {
        reach(pc + 1 + jt, set);
        reach(pc + 1 + jf, set);
      }
    } else reach(pc + 1, set);
  }
  return false;
}
