import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/graph/runtime.js';
import type { Frame } from '../../src/graph/frame.js';
import type { GraphNode, NodeOutput } from '../../src/graph/node.js';
import { GraphPacket } from '../../src/graph/packet.js';
import { showRun } from '../../src/graph/show-run.js';

function packet(seq: number, firstByte: number): GraphPacket {
  return GraphPacket.fromRecord(seq, {
    data: Uint8Array.of(firstByte, 0, 0, 0),
    origLen: 4,
    tsSec: 1_700_000_000,
    tsNsec: 5000,
    linkType: 1,
    interfaceId: 0,
  });
}

/** Routes even first bytes to `even`, odd ones to `odd`, zero to error-drop. */
class Classify implements GraphNode {
  readonly name = 'classify';
  readonly nextNodes = ['even', 'odd'];
  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (pkt.data[0] === 0) out.drop(pkt, 'zero byte');
      else out.enqueue(pkt.data[0] % 2, pkt);
    }
  }
  traceLines(pkt: GraphPacket): string[] {
    return [`first byte ${pkt.data[0]}`];
  }
}

class Sink implements GraphNode {
  readonly nextNodes: string[] = [];
  readonly seen: number[] = [];
  flushes = 0;
  constructor(readonly name: string) {}
  process(frame: Frame): void {
    for (let i = 0; i < frame.count; i++) this.seen.push(frame.packets[i]!.seq);
  }
  endOfVector(): void {
    this.flushes++;
  }
}

describe('graph runtime', () => {
  test('routes packets by next index and counts calls and vectors per node', () => {
    const even = new Sink('even');
    const odd = new Sink('odd');
    const graph = new Graph([new Classify(), even, odd]);
    graph.inject('classify', [packet(0, 1), packet(1, 2), packet(2, 3), packet(3, 0)]);
    graph.inject('classify', [packet(4, 4)]);
    assert.deepEqual(odd.seen, [0, 2]);
    assert.deepEqual(even.seen, [1, 4]);
    assert.equal(graph.counters('classify').calls, 2);
    assert.equal(graph.counters('classify').vectors, 5);
    assert.equal(graph.counters('even').calls, 2);
    assert.equal(graph.counters('even').vectors, 2);
    assert.equal(graph.counters('odd').calls, 1);
    assert.equal(graph.counters('error-drop').vectors, 1);
    assert.equal(graph.errors.get('classify: zero byte'), 1);
    assert.equal(even.flushes, 2, 'endOfVector runs once per injected vector');
  });

  test('enqueueToNext hands each packet to its next node once process returns, a uniform vector whole', () => {
    /** Sends odd first bytes to `odd`, even ones to `even`, through one array of next indexes. */
    const split: GraphNode = {
      name: 'split',
      nextNodes: ['even', 'odd'],
      process(frame, out) {
        const nexts = new Uint16Array(frame.count);
        for (let i = 0; i < frame.count; i++) nexts[i] = frame.packets[i]!.data[0] % 2;
        out.enqueueToNext(nexts);
      },
    };
    const even = new Sink('even');
    const odd = new Sink('odd');
    const graph = new Graph([split, even, odd]);
    graph.inject('split', [packet(0, 1), packet(1, 2), packet(2, 3), packet(3, 4)]);
    assert.deepEqual(odd.seen, [0, 2]);
    assert.deepEqual(even.seen, [1, 3]);
    graph.inject('split', [packet(4, 5), packet(5, 7)]);
    assert.deepEqual(odd.seen, [0, 2, 4, 5]);
    assert.equal(graph.counters('odd').calls, 2);
    assert.equal(graph.counters('odd').vectors, 4);
    assert.equal(graph.counters('even').calls, 1);
  });

  test('error-drop counts every reason of every node, however the drops interleave', () => {
    /** Drops bytes 0 and 255 with two reasons, passes the rest on to `classify`. */
    const screen: GraphNode = {
      name: 'screen',
      nextNodes: ['classify'],
      process(frame, out) {
        for (let i = 0; i < frame.count; i++) {
          const pkt = frame.packets[i]!;
          if (pkt.data[0] === 255) out.drop(pkt, 'all ones');
          else if (pkt.data[0] === 254) out.drop(pkt, 'zero byte');
          else out.enqueue(0, pkt);
        }
      },
    };
    const graph = new Graph([screen, new Classify(), new Sink('even'), new Sink('odd')]);
    const firstBytes = [255, 255, 0, 254, 255, 0, 0, 3, 254, 254, 255];
    graph.inject(
      'screen',
      firstBytes.map((b, i) => packet(i, b)),
    );
    graph.inject('screen', [packet(11, 0), packet(12, 255)]);
    assert.deepEqual(Object.fromEntries(graph.errors), {
      'screen: all ones': 5,
      'screen: zero byte': 3,
      'classify: zero byte': 4,
    });
  });

  test('rejects unknown next nodes and duplicate names with stable codes', () => {
    const broken: GraphNode = { name: 'a', nextNodes: ['missing'], process: () => undefined };
    assert.throws(() => new Graph([broken]), { code: 'GRAPH_UNKNOWN_NODE' });
    assert.throws(() => new Graph([new Sink('x'), new Sink('x')]), { code: 'GRAPH_DUPLICATE_NODE' });
  });

  test('traces exactly the next N packets entering the node, through every node they pass', () => {
    const graph = new Graph([new Classify(), new Sink('even'), new Sink('odd')]);
    graph.tracer.add('classify', 2);
    graph.inject('classify', [packet(0, 0), packet(1, 2), packet(2, 3)]);
    const traces = graph.tracer.traced;
    assert.equal(traces.length, 2);
    assert.deepEqual(
      traces[0].records.map((r) => r.node),
      ['classify', 'error-drop'],
    );
    assert.deepEqual(traces[0].records[1].lines, ['classify: zero byte']);
    assert.deepEqual(
      traces[1].records.map((r) => [r.node, r.lines]),
      [
        ['classify', ['first byte 2']],
        ['even', []],
      ],
    );
    const text = graph.tracer.show();
    assert.match(text, /^Packet 1$/m);
    assert.match(text, /^\d\d:\d\d:\d\d:\d{6}: error-drop$/m);
    assert.doesNotMatch(text, /^Packet 3$/m);
    graph.tracer.clear();
    assert.equal(graph.tracer.show(), 'No packets in trace buffer\n');
  });

  test('a forwarded frame arrives whole, after packets already waiting there, and its node is traced', () => {
    /** Sends odd first bytes straight to `merge`, even ones through `pass`, which forwards its whole frame. */
    const split: GraphNode = {
      name: 'split',
      nextNodes: ['merge', 'pass'],
      process(frame, out) {
        for (let i = 0; i < frame.count; i++)
          out.enqueue(frame.packets[i]!.data[0] % 2 === 1 ? 0 : 1, frame.packets[i]!);
      },
    };
    const pass: GraphNode = {
      name: 'pass',
      nextNodes: ['merge'],
      process: (frame, out) => out.forward(0, frame),
      traceLines: () => ['passed'],
    };
    const merge = new Sink('merge');
    const graph = new Graph([split, pass, merge]);
    graph.tracer.add('pass', 1);
    graph.inject('split', [packet(0, 2), packet(1, 3), packet(2, 4), packet(3, 5)]);
    // merge had 1 and 3 waiting when pass forwarded 0 and 2: they are appended, none lost.
    assert.deepEqual(merge.seen, [1, 3, 0, 2]);
    graph.inject('pass', [packet(4, 6), packet(5, 8)]);
    assert.deepEqual(merge.seen.slice(4), [4, 5], 'a frame forwarded onto an empty node is exchanged whole');
    assert.equal(graph.counters('merge').vectors, 6);
    assert.equal(graph.counters('pass').vectors, 4);
    const traced = graph.tracer.traced;
    assert.equal(traced.length, 1);
    assert.deepEqual(
      traced[0].records.map((r) => [r.node, r.lines]),
      [
        ['pass', ['passed']],
        ['merge', []],
      ],
    );
    // Frames are reused: a third vector through the same path still arrives complete.
    graph.inject('split', [packet(6, 10), packet(7, 11)]);
    assert.deepEqual(merge.seen.slice(6), [7, 6]);
  });

  test('show run lists every node with its counters', () => {
    const graph = new Graph([new Classify(), new Sink('even'), new Sink('odd')]);
    graph.inject('classify', [packet(0, 2), packet(1, 4), packet(2, 6), packet(3, 8)]);
    const text = showRun(graph, new Set(['classify']));
    const row = text.split('\n').find((l) => l.startsWith('even'));
    assert.ok(row, text);
    const cols = row.trim().split(/\s+/);
    assert.deepEqual([cols[1], cols[2], cols[3], cols[4], cols[6]], ['active', '1', '4', '0', '4.00']);
    assert.match(text, /^odd\s+idle\s+0\s+0\s+0\s+0\.00e0\s+0\.00$/m);
    assert.match(text, /^classify\s+polling\s+1\s+4 /m);
  });
});
