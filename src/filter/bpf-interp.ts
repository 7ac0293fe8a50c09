import { BPF, alu, type BpfInstruction } from './ir.js';

/** Protection against the backward jumps of protochain programs. */
const MAX_STEPS = 1_000_000;

function load(d: Uint8Array, caplen: number, off: number, size: number): number {
  if (size === BPF.B) return off + 1 <= caplen ? d[off]! : -1;
  if (size === BPF.H) return off + 2 <= caplen ? (d[off]! << 8) | d[off + 1]! : -1;
  return off + 4 <= caplen
    ? ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0
    : -1;
}

/**
 * Runs a classic BPF program the way libpcap's userland bpf_filter does: out-of-bounds loads and
 * division by zero return 0. Returns the program's return value (0 = reject).
 */
export function runBpf(prog: BpfInstruction[], d: Uint8Array, caplen: number, wirelen: number): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  let pc = 0;
  for (let steps = 0; steps < MAX_STEPS && pc < prog.length; steps++) {
    const ins = prog[pc++]!;
    const cls = ins.code & 0x07;
    const k = ins.k;
    if (cls === BPF.RET) return (ins.code & 0x18) === 0x10 ? a : k;
    if (cls === BPF.LD || cls === BPF.LDX) {
      const mode = ins.code & 0xe0;
      let v: number;
      if (mode === BPF.ABS) v = load(d, caplen, k, ins.code & 0x18);
      else if (mode === BPF.IND) v = load(d, caplen, x + k, ins.code & 0x18);
      else if (mode === BPF.MEM) v = mem[k]!;
      else if (mode === BPF.LEN) v = wirelen;
      else if (mode === BPF.MSH) v = k < caplen ? (d[k]! & 0xf) << 2 : -1;
      else v = k;
      if (v < 0) return 0;
      if (cls === BPF.LD) a = v;
      else x = v;
    } else if (cls === BPF.ST) mem[k] = a;
    else if (cls === BPF.STX) mem[k] = x;
    else if (cls === BPF.ALU) {
      const isX = (ins.code & BPF.X) !== 0;
      const r = alu(ins.code & 0xf0, a, isX ? x : k);
      if (r === undefined) return 0;
      a = r;
    } else if (cls === BPF.MISC) {
      if ((ins.code & 0xf8) === BPF.TXA) a = x;
      else x = a;
    } else {
      const op = ins.code & 0xf0;
      if (op === BPF.JA) {
        pc = (pc + (k | 0)) | 0;
        continue;
      }
      const v = (ins.code & BPF.X) !== 0 ? x : k;
      const taken =
        op === BPF.JEQ ? a === v : op === BPF.JGT ? a > v : op === BPF.JGE ? a >= v : (a & v) !== 0;
      pc += taken ? ins.jt : ins.jf;
    }
  }
  return 0;
}
