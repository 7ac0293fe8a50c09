import type { DissectorFactory, StreamContext, StreamDissector } from '../dissect/types.js';
import { openCapture } from '../pcap/index.js';
import { FlowPlane } from '../pipeline/flow-plane.js';
import { buildEntriesGraph } from '../pipeline/read-graph.js';
import { feedCapture } from '../pipeline/feed-capture.js';
import { REPLAY_ERROR_CODES as E, ReplayError } from './errors.js';
import { DEFAULT_RECORDER_LIMITS, TurnRecorder, type RecorderLimits, type ReplayScript } from './script.js';
import { selectorMatches, type StreamSelector } from './select.js';

export interface ExtractOptions {
  select?: StreamSelector;
  /** pcap-filter expression applied to the packets first. */
  filter?: string;
  /** Replay a stream whose client side has gaps (the lost bytes are skipped); refused by default. */
  allowGaps?: boolean;
  /** Keep the server's answers too (what --compare needs). */
  keepResponses?: boolean;
  limits?: Partial<RecorderLimits>;
}

/** Streams that are not the chosen one cost nothing beyond the flow table's own work. */
const DISCARD: StreamDissector = { data() {}, gap() {}, end() {} };

/**
 * The "dissector" the flow pipeline runs for every stream: it claims all TCP/UDP streams
 * and gives a TurnRecorder to the first one the selector accepts, a discard sink to the rest.
 * The pipeline creates it on a stream's first payload, so "first" means first to carry payload.
 */
class RecorderFactory implements DissectorFactory {
  readonly name = 'replay-recorder';
  readonly transports = ['tcp', 'udp'] as const;
  readonly ports: number[] = [];
  recorder: TurnRecorder | null = null;
  context: StreamContext | null = null;

  constructor(
    private readonly select: StreamSelector,
    private readonly keepResponses: boolean,
    private readonly limits: RecorderLimits,
  ) {}

  detect(): 'yes' {
    return 'yes';
  }

  create(ctx: StreamContext): StreamDissector {
    if (this.recorder !== null || !selectorMatches(this.select, ctx)) return DISCARD;
    this.context = ctx;
    this.recorder = new TurnRecorder(ctx.transport === 'udp', this.keepResponses, this.limits);
    return this.recorder;
  }
}

/**
 * Reads a capture through meshtap's own decode, IP reassembly, flow table and TCP
 * reassembly (in order, retransmissions removed, gaps reported) and returns the selected
 * stream's client turns. Reading stops once that stream has ended.
 */
export async function extractReplayScript(path: string, opts: ExtractOptions = {}): Promise<ReplayScript> {
  const limits = { ...DEFAULT_RECORDER_LIMITS, ...opts.limits };
  const factory = new RecorderFactory(opts.select ?? {}, opts.keepResponses === true, limits);
  const plane = new FlowPlane({ dissectors: [factory], onEntry: () => {} });
  const graph = buildEntriesGraph({ filter: opts.filter, plane });
  const reader = await openCapture(path);
  // Reading stops as soon as the selected stream has ended.
  await feedCapture(reader, graph, () => factory.recorder?.ended === true);
  plane.finish();
  const { recorder, context } = factory;
  if (recorder === null || context === null) {
    if (reader.error) throw reader.error;
    throw new ReplayError(E.NO_STREAM, `no TCP or UDP stream with payload matches in ${path}`);
  }
  return scriptOf(recorder, context, opts.allowGaps === true, reader.error?.message ?? null);
}

function scriptOf(
  recorder: TurnRecorder,
  ctx: StreamContext,
  allowGaps: boolean,
  captureError: string | null,
): ReplayScript {
  const details = { streamId: ctx.streamId };
  if (recorder.overflow)
    throw new ReplayError(
      E.STREAM_TOO_LARGE,
      `stream ${ctx.streamId} is over the replay size limit`,
      details,
    );
  const clientGap = recorder.gaps.find((g) => g.dir === 0);
  if (clientGap !== undefined && !allowGaps) {
    throw new ReplayError(
      E.STREAM_GAP,
      `stream ${ctx.streamId}: ${clientGap.length} client bytes at offset ${clientGap.offset} were not captured (--allow-gaps replays the rest)`,
      { ...details, gap: clientGap },
    );
  }
  if (!recorder.messages.some((m) => m.bytes.length > 0))
    throw new ReplayError(E.EMPTY_STREAM, `stream ${ctx.streamId} has no client payload`, details);
  return {
    transport: ctx.transport as 'tcp' | 'udp',
    streamId: ctx.streamId,
    client: ctx.client,
    server: ctx.server,
    greetingBytes: recorder.greetingBytes,
    greeting: recorder.greeting,
    messages: recorder.messages,
    gaps: recorder.gaps,
    captureError,
  };
}
