import { defaultRegistry, linkTypeName } from '../decode/index.js';
import { layerTraceLines } from '../decode/describe.js';
import { buildDecodeNodes } from '../graph/decode-graph.js';
import { CaptureInputNode } from '../graph/nodes/input-node.js';
import { Graph } from '../graph/runtime.js';
import { CAPTURE_INPUT } from '../pipeline/read-graph.js';
import { MeshtapError } from '../util/errors.js';
import type { DirectionOf } from './direction.js';
import { MirrorClassifyNode, MirrorTruncateNode, UdpOutputNode, VxlanEncapNode } from './mirror-nodes.js';
import { ActiveSession, emptyCounters } from './session-state.js';
import type { MirrorCounters, MirrorFilter, MirrorSession } from './types.js';
import { UdpSocketPool, type DatagramSender, type UdpSenderOptions } from './udp-sender.js';

/** A session with the filter it uses. */
export interface MirrorSessionSpec {
  session: MirrorSession;
  filter: MirrorFilter;
}

export interface MirrorGraphOptions extends UdpSenderOptions {
  /** Whether the source sent (outbound) or received (inbound) each packet; see direction.ts. */
  directionOf: DirectionOf;
  /** The source's sessions to start with (more can be set at run time). */
  sessions?: readonly MirrorSessionSpec[];
  /** Where datagrams go; a pool of UDP sockets (UdpSocketPool) unless given. */
  sender?: DatagramSender;
}

export interface MirrorGraphHandle {
  /** Feed it with feedCapture(reader, graph): input node `pcap-input`. */
  graph: Graph;
  /**
   * Replaces the source's sessions between vectors. Stopped sessions are ignored. Every
   * session is compiled before any is replaced, so a bad one (MeshtapError) changes nothing.
   * Counters of a session id carry over from earlier lists.
   */
  setSessions(list: readonly MirrorSessionSpec[]): void;
  counters(sessionId: number): MirrorCounters | null;
  allCounters(): Map<number, MirrorCounters>;
  /** Resolves once the send queues are low (after yielding to the event loop): backpressure for file input. */
  drain(): Promise<void>;
  /** Waits (bounded) for queued datagrams to leave, then closes the sockets. */
  close(): Promise<void>;
}

/**
 * The data path of one mirrored source: pcap-input → link-input → decode nodes →
 * mirror-classify → mirror-truncate → vxlan-encap → udp-output. There is no IP reassembly:
 * a mirror forwards each captured frame as it was, and fragments are classified on their
 * own IP header (later fragments have no ports, so only any-port rules can collect them).
 */
export async function buildMirrorGraph(opts: MirrorGraphOptions): Promise<MirrorGraphHandle> {
  const sender = opts.sender ?? (await UdpSocketPool.open(opts));
  const classify = new MirrorClassifyNode(opts.directionOf, sender.localPorts);
  const graph = new Graph([
    new CaptureInputNode(CAPTURE_INPUT, 'link-input'),
    ...buildDecodeNodes({
      registry: defaultRegistry,
      doneNode: classify.name,
      describe: layerTraceLines,
      linkTypeName,
    }),
    classify,
    new MirrorTruncateNode(),
    new VxlanEncapNode(sender),
    new UdpOutputNode(sender),
  ]);
  const counters = new Map<number, MirrorCounters>();

  const setSessions = (list: readonly MirrorSessionSpec[]): void => {
    const running = list.filter((spec) => spec.session.state === 'Running');
    const ids = new Set(running.map((spec) => spec.session.id));
    if (ids.size !== running.length)
      throw new MeshtapError('MIRROR_DUPLICATE_SESSION', 'a session is listed twice');
    const active = running.map(
      (spec) =>
        new ActiveSession(spec.session, spec.filter, counters.get(spec.session.id) ?? emptyCounters()),
    );
    for (const session of active) counters.set(session.id, session.counters);
    classify.setSessions(active);
  };
  try {
    if (opts.sessions !== undefined) setSessions(opts.sessions);
  } catch (err) {
    await sender.close();
    throw err;
  }

  return {
    graph,
    setSessions,
    // Copies: the live objects are the data path's.
    counters: (id) => {
      const c = counters.get(id);
      return c === undefined ? null : { ...c };
    },
    allCounters: () => new Map([...counters].map(([id, c]) => [id, { ...c }])),
    drain: () => sender.drain(),
    close: () => sender.close(),
  };
}
