import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

/**
 * Huffman decoding a byte at a time (RFC 7541 §5.2). The code tree has 256 internal nodes; for
 * every node and every input byte we precompute where the walk ends and which symbols (at most
 * two, since the shortest code has 5 bits) it emits. Built once, 256 KiB.
 *
 * Packed cell: bits 0-7 next node, 8-9 symbol count, 10 failure (EOS inside the string),
 * 16-23 first symbol, 24-31 second symbol.
 */
const EOS = 256;
const FAIL = 1 << 10;

let transitions: Uint32Array | null = null;
/** Node ids whose path from the root is all 1-bits and at most 7 deep: valid end-of-string padding. */
let paddingNodes: Uint8Array | null = null;

/** Child links: >= 0 is an internal node, < 0 is leaf -(symbol + 1). */
function buildTree(): Int32Array {
  const child = new Int32Array(256 * 2).fill(0);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = HUFFMAN_LENGTHS[sym];
    const code = HUFFMAN_CODES[sym];
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const slot = node * 2 + (Math.floor(code / 2 ** i) & 1);
      if (child[slot] === 0) child[slot] = nodes++;
      node = child[slot];
    }
    child[node * 2 + (code & 1)] = -(sym + 1);
  }
  return child;
}

function markPaddingNodes(child: Int32Array): Uint8Array {
  const ok = new Uint8Array(256);
  let node = 0;
  ok[0] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    node = child[node * 2 + 1];
    ok[node] = 1;
  }
  return ok;
}

function walkByte(child: Int32Array, start: number, byte: number): number {
  let node = start;
  let count = 0;
  let syms = 0;
  for (let bit = 7; bit >= 0; bit--) {
    const next = child[node * 2 + ((byte >> bit) & 1)];
    if (next >= 0) {
      node = next;
      continue;
    }
    const sym = -next - 1;
    if (sym === EOS) return FAIL;
    syms |= sym << (16 + 8 * count);
    count++;
    node = 0;
  }
  return (node | (count << 8) | syms) >>> 0;
}

function build(): void {
  const child = buildTree();
  const table = new Uint32Array(256 * 256);
  for (let node = 0; node < 256; node++) {
    for (let byte = 0; byte < 256; byte++) table[node * 256 + byte] = walkByte(child, node, byte);
  }
  paddingNodes = markPaddingNodes(child);
  transitions = table;
}

/** Longest output a Huffman string of `encodedLength` bytes can decode to (5-bit shortest code). */
export function maxHuffmanDecodedLength(encodedLength: number): number {
  return Math.ceil((encodedLength * 8) / 5);
}

/**
 * Decodes src[start, end) into out starting at outPos. Returns the new output position, or -1
 * when the string holds EOS or ends with invalid padding (RFC 7541 §5.2 decoding errors).
 * `out` must have room for maxHuffmanDecodedLength(end - start) bytes.
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outPos: number,
): number {
  if (transitions === null) build();
  const table = transitions as Uint32Array;
  let node = 0;
  let pos = outPos;
  for (let i = start; i < end; i++) {
    const cell = table[node * 256 + src[i]];
    if (cell & FAIL) return -1;
    const count = (cell >> 8) & 3;
    if (count > 0) out[pos++] = (cell >>> 16) & 0xff;
    if (count > 1) out[pos++] = cell >>> 24;
    node = cell & 0xff;
  }
  return (paddingNodes as Uint8Array)[node] === 1 ? pos : -1;
}
