import type { EntryDraft } from '../dissect/entry.js';
import type { Flow } from '../flow/flow-table.js';
import type { Frame } from '../graph/frame.js';
import type { GraphNode, NodeOutput } from '../graph/node.js';
import { GraphPacket } from '../graph/packet.js';
import { ERROR_DROP, Graph } from '../graph/runtime.js';
import type { PacketRecord } from '../pcap/record.js';
import { fillEntryNames } from '../resolve/entry-names.js';
import type { NameResolver } from '../resolve/types.js';
import type { StreamStore } from '../store/stream-store.js';
import { FlowLookupNode } from './flow-nodes.js';
import { FlowPlane, type FlowPlaneOptions, type FlowSession, type Transport } from './flow-plane.js';
import { buildEntriesGraph, CAPTURE_INPUT } from './read-graph.js';

export const STREAM_STORE = 'stream-store';

/** The part of flow-lookup's mark (the packet's opaque field) the store reads. */
interface StoreMark {
  session: FlowSession;
  streamId: number;
}

/**
 * Appends each packet's captured record to its stream's file (through the StreamStore,
 * which writes at the end of the vector) and passes the packet on unchanged: TCP to
 * reassembly, UDP and SCTP to datagram input, as flow-lookup would have.
 */
export class StreamStoreNode implements GraphNode {
  readonly name = STREAM_STORE;
  readonly nextNodes = ['tcp-reassembly', 'datagram-input'];

  constructor(private readonly store: StreamStore) {}

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = pkt.opaque as StoreMark;
      this.store.add(pkt, mark.streamId);
      out.enqueue(mark.session.tcp !== null ? 0 : 1, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = pkt.opaque as StoreMark;
    const what = pkt.derived ? 'reassembled datagram: its captured fragments' : 'record';
    return [`${what} queued for stream ${this.store.keyFor(mark.streamId)}`];
  }

  endOfVector(): void {
    this.store.endOfVector();
  }
}

/** flow-lookup whose packets go to the store first, and which shows the store every IP fragment it drops. */
class StoreFlowLookupNode extends FlowLookupNode {
  override readonly nextNodes = [STREAM_STORE, STREAM_STORE];

  constructor(
    plane: FlowPlane,
    private readonly store: StreamStore,
  ) {
    super(plane);
  }

  override process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) this.store.noteFragment(frame.packets[i]!);
    super.process(frame, out);
  }
}

/** A flow plane that tells the store about every flow it opens (the store needs the Flow to see it end). */
class StoreFlowPlane extends FlowPlane {
  constructor(
    options: FlowPlaneOptions,
    private readonly store: StreamStore,
  ) {
    super(options);
  }

  override open(flow: Flow<FlowSession>, transport: Transport): FlowSession {
    const session = super.open(flow, transport);
    this.store.track(flow, session);
    return session;
  }
}

export interface StoreGraphOptions {
  store: StreamStore;
  /** pcap-filter expression applied to captured packets first. */
  filter?: string;
  /** Flow table, reassembly and dissector settings. */
  flow?: Omit<FlowPlaneOptions, 'onEntry'>;
  /** Every entry, with the key of the stream that carried it; names already filled when `names` is given. */
  onEntry(entry: EntryDraft, streamKey: string): void;
  /** Fills entries' src/dst name and namespace (typically the NameHistory). */
  names?: NameResolver;
}

export interface StoreGraph {
  readonly graph: Graph;
  readonly plane: FlowPlane;
  readonly store: StreamStore;
  /** Runs one vector of captured records through the graph (their data may be reused afterwards). */
  ingest(records: readonly PacketRecord[]): void;
  /** End of input: flows end, dissectors flush, every stream file is closed and its row marked closed. */
  finish(): void;
}

/**
 * The entries graph with the stream store after flow-lookup:
 * … → flow-lookup → stream-store → tcp-reassembly | datagram-input → dissect → flow-done.
 */
export function buildStoreGraph(opts: StoreGraphOptions): StoreGraph {
  const { store, names } = opts;
  const onEntry = (entry: EntryDraft): void => {
    if (names !== undefined) fillEntryNames(entry, names);
    opts.onEntry(entry, store.keyFor(entry.streamId));
  };
  const plane = new StoreFlowPlane({ ...opts.flow, onEntry }, store);
  const base = buildEntriesGraph({ filter: opts.filter, plane });
  const nodes = base.nodes
    .filter((n) => n.name !== ERROR_DROP)
    .map((n) => (n.name === 'flow-lookup' ? new StoreFlowLookupNode(plane, store) : n));
  const graph = new Graph([...nodes, new StreamStoreNode(store)]);
  let seq = 0;
  return {
    graph,
    plane,
    store,
    ingest(records) {
      graph.inject(
        CAPTURE_INPUT,
        records.map((record) => GraphPacket.fromRecord(seq++, record)),
      );
    },
    finish() {
      plane.finish();
      store.finish();
    },
  };
}
