/** Stream replay and stress: a captured stream's client side sent again to a target the user names. */
export {
  replayStreamFile,
  replayScript,
  type ReplayOptions,
  type ReplayRunOptions,
  type ReplayReport,
  type StreamInfo,
} from './replay.js';
export { extractReplayScript, type ExtractOptions } from './extract.js';
export { parseTupleSelector, type StreamSelector, type EndpointSpec } from './select.js';
export { parseTarget, type ReplayTarget } from './target.js';
export type { ReplayScript, ReplayMessage, StreamGap, StreamPart, RecorderLimits } from './script.js';
export {
  REPLAY_LIMITS,
  DEFAULT_RUN_OPTIONS,
  DEFAULT_IGNORED_HEADERS,
  type RunOptions,
  type StressOptions,
} from './options.js';
export type { RunResult } from './run.js';
export { percentile, type LatencySummary, type ReplaySummary } from './summary.js';
export {
  compareHttp1,
  type HttpComparison,
  type ResponseDifference,
  type ResponseSummary,
} from './compare-http1.js';
export { formatReplayTable } from './report.js';
export { REPLAY_ERROR_CODES, ReplayError, type ReplayErrorCode } from './errors.js';
