import { TcpdumpSource, type LiveCaptureSource } from '../capture/tcpdump-source.js';
import { feedCapture } from '../pipeline/feed-capture.js';
import { CAPTURE_INPUT } from '../pipeline/read-graph.js';
import type { LiveGraph } from '../hub/routes/graph.js';
import { directionByMac } from './direction.js';
import type { MirrorConfig, RunningSession } from './mirror-config.js';
import { buildMirrorGraph, type MirrorGraphHandle } from './mirror-graph.js';
import { emptyCounters } from './session-state.js';
import { resolveSourceLink, sourceLabel, type SourceLink } from './source-link.js';
import type { MirrorCounters, MirrorSource } from './types.js';

export interface MirrorRuntimeOptions {
  config: MirrorConfig;
  /** Starts capturing one source (default: tcpdump on its interface, inside its namespace). */
  openCapture?: (link: SourceLink) => LiveCaptureSource;
  /** Where problems starting or running a source are reported (the hub's log). */
  log?: (message: string) => void;
}

/** One mirrored source while at least one running session uses it: its capture and its data path. */
interface SourceRun {
  label: string;
  capture: LiveCaptureSource;
  path: MirrorGraphHandle;
  fed: Promise<void>;
}

/**
 * Runs the mirror data path for the running sessions: one capture and one mirror graph per
 * source that a running session uses, whatever the number of sessions using it (a packet goes
 * to one session only, so sessions of one source share its graph). It follows the
 * configuration: after every committed change the running sources are started, given their
 * new session lists, or stopped.
 */
export class MirrorRuntime {
  private readonly runs = new Map<string, SourceRun>();
  /** Sources that could not be started, with the reason (shown by the API). */
  readonly failures = new Map<string, string>();
  /** Counters of sources that stopped, so a session's totals survive its sources stopping. */
  private readonly retired = new Map<number, MirrorCounters>();
  private chain: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly opts: MirrorRuntimeOptions) {
    this.unsubscribe = opts.config.onChange(() => void this.reconcile());
  }

  /** Brings the running sources in line with the configuration; calls run one after another. */
  reconcile(): Promise<void> {
    this.chain = this.chain
      .then(() => this.apply())
      .catch((err: Error) => this.log(`mirror: ${err.message}`));
    return this.chain;
  }

  /** A session's counters over all its sources (zeros for a session that never ran). */
  counters(sessionId: number): MirrorCounters {
    const total = { ...(this.retired.get(sessionId) ?? emptyCounters()) };
    for (const run of this.runs.values()) {
      const c = run.path.counters(sessionId);
      if (c !== null) addCounters(total, c);
    }
    return total;
  }

  /** The running mirror graphs, for `show run` and `trace`. */
  graphs(): LiveGraph[] {
    return [...this.runs.values()].map((run) => ({
      label: `mirror ${run.label}`,
      graph: run.path.graph,
      inputNode: CAPTURE_INPUT,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.chain;
    for (const key of [...this.runs.keys()]) await this.stopSource(key);
  }

  private async apply(): Promise<void> {
    if (this.closed) return;
    const wanted = sessionsBySource(this.opts.config.runningSessions());
    for (const key of [...this.runs.keys()]) if (!wanted.has(key)) await this.stopSource(key);
    for (const [key, { source, sessions }] of wanted) {
      const run = this.runs.get(key);
      if (run !== undefined) run.path.setSessions(sessions);
      else await this.startSource(key, source, sessions);
    }
    for (const key of [...this.failures.keys()]) if (!wanted.has(key)) this.failures.delete(key);
  }

  private async startSource(key: string, source: MirrorSource, sessions: RunningSession[]): Promise<void> {
    const label = sourceLabel(source);
    let capture: LiveCaptureSource | null = null;
    try {
      const link = await resolveSourceLink(source);
      capture = (this.opts.openCapture ?? tcpdumpOn)(link);
      await capture.start();
      const path = await buildMirrorGraph({ directionOf: directionByMac([link.mac]), sessions });
      // The reader opens with the first captured packet (tcpdump writes the file header with
      // it), so it is not awaited here. Waiting for the send queues to drain between vectors
      // pushes back on the capture pipe: the kernel then drops (and counts) instead of this
      // process buffering without bound.
      const fed = capture
        .reader()
        .then((reader) => feedCapture(reader, path.graph, () => path.drain()))
        .catch((err: Error) => this.log(`mirror ${label}: ${err.message}`));
      this.runs.set(key, { label, capture, path, fed });
      this.failures.delete(key);
    } catch (err) {
      await capture?.stop().catch(() => null);
      this.failures.set(key, (err as Error).message);
      this.log(`mirror ${label} not started: ${(err as Error).message}`);
    }
  }

  private async stopSource(key: string): Promise<void> {
    const run = this.runs.get(key);
    if (run === undefined) return;
    await run.capture.stop();
    await run.fed;
    await run.path.close();
    // Listed until it has really stopped; its counters move to the totals in the same tick.
    this.runs.delete(key);
    for (const [id, c] of run.path.allCounters()) {
      const total = this.retired.get(id) ?? emptyCounters();
      addCounters(total, c);
      this.retired.set(id, total);
    }
  }

  private log(message: string): void {
    this.opts.log?.(message);
  }
}

function tcpdumpOn(link: SourceLink): LiveCaptureSource {
  return new TcpdumpSource({
    // A mirror forwards as packets come, and a session stopped must not lose the last ones.
    params: { interface: link.iface, noPromiscuous: false, immediate: true },
    netns: link.netns ?? undefined,
  });
}

/** The running sessions grouped by the source they mirror (by its label: one capture per source). */
function sessionsBySource(
  running: readonly RunningSession[],
): Map<string, { source: MirrorSource; sessions: RunningSession[] }> {
  const map = new Map<string, { source: MirrorSource; sessions: RunningSession[] }>();
  for (const spec of running) {
    for (const source of spec.session.sources) {
      const key = sourceLabel(source);
      const entry = map.get(key) ?? { source, sessions: [] };
      entry.sessions.push(spec);
      map.set(key, entry);
    }
  }
  return map;
}

function addCounters(total: MirrorCounters, c: MirrorCounters): void {
  total.matched += c.matched;
  total.mirrored += c.mirrored;
  total.truncated += c.truncated;
  total.sentBytes += c.sentBytes;
  total.sendErrors += c.sendErrors;
}
