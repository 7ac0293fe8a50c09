import { openTcpChannel, openUdpChannel } from './channels.js';
import {
  assertComparable,
  compareHttp1,
  originalConversation,
  replayedConversation,
  type HttpComparison,
} from './compare-http1.js';
import type { Endpoint } from '../dissect/entry.js';
import { extractReplayScript, type ExtractOptions } from './extract.js';
import { checkedOptions, DEFAULT_IGNORED_HEADERS, type RunOptions, type StressOptions } from './options.js';
import { replayOnce, type RunResult, type RunSetup } from './run.js';
import type { ReplayScript } from './script.js';
import { runPool, summarize, type ReplaySummary } from './summary.js';
import { parseTarget, resolveTarget, type ReplayTarget } from './target.js';

export interface ReplayRunOptions extends Partial<RunOptions>, Partial<StressOptions> {
  /** Where to send: `HOST:PORT` or a parsed target. The capture's own addresses are never used. */
  to: string | ReplayTarget;
  /** Compare HTTP/1.x responses with the original ones (each run; run 1 in detail). */
  compare?: boolean;
  /** Response headers --compare does not compare (default: date). */
  ignoreHeaders?: readonly string[];
  /** Told about each run as it finishes (in finishing order). */
  onRun?: (result: RunResult) => void;
}

export interface ReplayOptions extends ReplayRunOptions, Omit<ExtractOptions, 'keepResponses'> {}

/** What the replayed stream was, for the report. */
export interface StreamInfo {
  streamId: number;
  transport: 'tcp' | 'udp';
  client: Endpoint;
  server: Endpoint;
  messages: number;
  clientBytes: number;
  responseBytes: number;
  greetingBytes: number;
  gaps: number;
  captureError: string | null;
}

export interface ReplayReport {
  file: string | null;
  stream: StreamInfo;
  target: { host: string; port: number; address: string };
  options: RunOptions & StressOptions;
  runs: RunResult[];
  summary: ReplaySummary;
  /** With --compare: run 1's responses against the original ones. */
  comparison: HttpComparison | null;
}

/** Received bytes kept per run for --compare. */
const COMPARE_KEEP_BYTES = 64 << 20;

/**
 * The library entry point: reads the selected stream of a capture file (a stream-store
 * file holds exactly one) and replays its client side to `opts.to`, `count` times with at
 * most `concurrency` at once. Usage errors (bad options, target) are thrown before the file is read.
 */
export async function replayStreamFile(path: string, opts: ReplayOptions): Promise<ReplayReport> {
  checkedOptions(opts);
  if (typeof opts.to === 'string') parseTarget(opts.to);
  const script = await extractReplayScript(path, {
    select: opts.select,
    filter: opts.filter,
    allowGaps: opts.allowGaps,
    limits: opts.limits,
    keepResponses: opts.compare === true,
  });
  return { ...(await replayScript(script, opts)), file: path };
}

/** Replays an already extracted script (e.g. one the hub got from a stream store). */
export async function replayScript(script: ReplayScript, opts: ReplayRunOptions): Promise<ReplayReport> {
  const options = checkedOptions(opts);
  const target = await resolveTarget(typeof opts.to === 'string' ? parseTarget(opts.to) : opts.to);
  if (opts.compare) assertComparable(script);
  const setup: RunSetup = {
    script,
    target,
    options,
    open: script.transport === 'udp' ? openUdpChannel : openTcpChannel,
    keepBytes: opts.compare ? COMPARE_KEEP_BYTES : 0,
  };
  const ignore = opts.ignoreHeaders ?? DEFAULT_IGNORED_HEADERS;
  const original = opts.compare ? originalConversation(script) : null;
  let comparison: HttpComparison | null = null;
  const started = performance.now();
  const runs = await runPool(options.count, options.concurrency, async (index) => {
    const { result, received } = await replayOnce(setup, index + 1);
    if (original !== null && received !== null) {
      const compared = compareHttp1(
        original,
        replayedConversation(script, result.messagesSent, received),
        ignore,
      );
      result.differences = compared.differences.length;
      if (index === 0) comparison = compared;
    }
    opts.onRun?.(result);
    return result;
  });
  return {
    file: null,
    stream: streamInfo(script),
    target: { host: target.host, port: target.port, address: target.address },
    options,
    runs,
    summary: summarize(runs, performance.now() - started),
    comparison,
  };
}

function streamInfo(script: ReplayScript): StreamInfo {
  return {
    streamId: script.streamId,
    transport: script.transport,
    client: script.client,
    server: script.server,
    messages: script.messages.length,
    clientBytes: script.messages.reduce((s, m) => s + m.bytes.length, 0),
    responseBytes: script.messages.reduce((s, m) => s + m.responseBytes, 0),
    greetingBytes: script.greetingBytes,
    gaps: script.gaps.length,
    captureError: script.captureError,
  };
}
