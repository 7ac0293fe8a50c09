import { runTool } from '../../helpers/tools.js';

/** One stream as tshark's `-z follow,PROTO,raw,N` prints it: node 0 is the side that spoke first. */
export interface FollowedTurns {
  /** "ip:port" of node 0 and node 1 ("[v6]:port" for IPv6). */
  nodes: [string, string];
  /** Each printed chunk in order: node 0's lines start at the margin, node 1's with a tab. */
  chunks: Array<{ node: 0 | 1; bytes: Buffer }>;
}

/**
 * tshark's reassembly of several streams of one file in one tshark run (start-up costs ~3 s),
 * in the order asked; each spec is "PROTO,raw,INDEX" (e.g. "tcp,raw,0").
 */
export function tsharkFollow(path: string, specs: string[]): FollowedTurns[] {
  const args = ['-r', path, '-q'];
  for (const spec of specs) args.push('-z', `follow,${spec}`);
  // tshark prints the streams in its own order (the last asked first): key them by filter.
  const byFilter = new Map<string, FollowedTurns>();
  let current: FollowedTurns | null = null;
  for (const line of runTool('tshark', args).split('\n')) {
    const filter = /^Filter: (tcp|udp)\.stream eq (\d+)$/.exec(line);
    if (filter) {
      current = { nodes: ['', ''], chunks: [] };
      byFilter.set(`${filter[1]},raw,${filter[2]}`, current);
    } else if (current !== null && /^Node [01]: /.test(line)) {
      current.nodes[Number(line[5])] = line.slice(8);
    } else if (current !== null && /^\t?[0-9a-f]+$/.test(line)) {
      const node = line.startsWith('\t') ? 1 : 0;
      current.chunks.push({ node, bytes: Buffer.from(line.trim(), 'hex') });
    }
  }
  return specs.map((spec) => {
    const followed = byFilter.get(spec);
    if (followed === undefined) throw new Error(`tshark printed no ${spec}`);
    return followed;
  });
}

/** All bytes one node sent. */
export function nodeBytes(f: FollowedTurns, node: 0 | 1): Buffer {
  return Buffer.concat(f.chunks.filter((c) => c.node === node).map((c) => c.bytes));
}

/**
 * The client's turns as tshark shows them: runs of consecutive client chunks (for UDP, each
 * datagram), each with the byte count of the server chunks that follow it.
 */
export function clientTurns(
  f: FollowedTurns,
  clientNode: 0 | 1,
  datagrams: boolean,
): Array<{ bytes: Buffer; answer: number }> {
  const turns: Array<{ parts: Buffer[]; answer: number }> = [];
  let previous: 0 | 1 | null = null;
  for (const c of f.chunks) {
    if (c.node !== clientNode) {
      if (turns.length > 0) turns[turns.length - 1].answer += c.bytes.length;
    } else if (datagrams || previous !== clientNode || turns.length === 0) {
      turns.push({ parts: [c.bytes], answer: 0 });
    } else {
      turns[turns.length - 1].parts.push(c.bytes);
    }
    previous = c.node;
  }
  return turns.map((t) => ({ bytes: Buffer.concat(t.parts), answer: t.answer }));
}
