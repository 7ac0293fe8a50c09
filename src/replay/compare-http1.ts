import type { EntryDraft } from '../dissect/entry.js';
import { http1Dissector } from '../dissect/http1/index.js';
import { DEFAULT_DISSECT_LIMITS, type StreamContext, type StreamDissector } from '../dissect/types.js';
import { UsageError } from '../util/errors.js';
import { REPLAY_ERROR_CODES as E } from './errors.js';
import { DEFAULT_IGNORED_HEADERS } from './options.js';
import type { ReceivedChunk } from './inbox.js';
import type { ReplayScript, StreamPart } from './script.js';

/** One side of an HTTP/1 connection as turns: what the client sent and what came back after it. */
export interface Conversation {
  greeting: StreamPart[];
  turns: Array<{ sent: Uint8Array; received: StreamPart[] }>;
}

export interface ResponseSummary {
  /** Position of the exchange in the connection (request order). */
  index: number;
  /** "METHOD target" of the request it answers, when there was one. */
  request: string | null;
  /** null when no (final) response came. */
  status: number | null;
  bodySize: number | null;
  /** Header name (lower case) → its values joined with ", ". */
  headers: Record<string, string>;
}

export type DifferenceKind =
  'status' | 'body_size' | 'header_added' | 'header_removed' | 'header_changed' | 'missing' | 'extra';

export interface ResponseDifference {
  index: number;
  kind: DifferenceKind;
  header?: string;
  original: string | number | null;
  replayed: string | number | null;
}

export interface HttpComparison {
  original: ResponseSummary[];
  replayed: ResponseSummary[];
  differences: ResponseDifference[];
}

/** --compare needs an HTTP/1.x stream over TCP: the first client message must open a request. */
export function assertComparable(script: ReplayScript): void {
  const first = script.messages.find((m) => m.bytes.length > 0)?.bytes;
  if (script.transport === 'tcp' && first !== undefined && http1Dissector.detect(0, first) === 'yes') return;
  throw new UsageError(
    E.COMPARE_UNSUPPORTED,
    `--compare works on HTTP/1.x streams; stream ${script.streamId} is not one`,
  );
}

export function originalConversation(script: ReplayScript): Conversation {
  return {
    greeting: script.greeting ?? [],
    turns: script.messages.map((m) => ({ sent: m.bytes, received: m.response ?? [] })),
  };
}

/** The replayed conversation: the messages that were sent, and what arrived in each turn. */
export function replayedConversation(
  script: ReplayScript,
  messagesSent: number,
  received: readonly ReceivedChunk[],
): Conversation {
  const conv: Conversation = {
    greeting: [],
    turns: script.messages.slice(0, messagesSent).map((m) => ({ sent: m.bytes, received: [] })),
  };
  for (const chunk of received) {
    const turn = conv.turns[chunk.turn];
    (turn === undefined ? conv.greeting : turn.received).push(chunk.bytes);
  }
  return conv;
}

/** Dissects both conversations with meshtap's HTTP/1 dissector and compares them response by response. */
export function compareHttp1(
  original: Conversation,
  replayed: Conversation,
  ignoreHeaders: readonly string[] = DEFAULT_IGNORED_HEADERS,
): HttpComparison {
  const ignored = new Set(ignoreHeaders.map((h) => h.toLowerCase()));
  const before = responsesOf(original, ignored);
  const after = responsesOf(replayed, ignored);
  const differences: ResponseDifference[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    differences.push(...differencesOf(i, before[i], after[i]));
  }
  return { original: before, replayed: after, differences };
}

function differencesOf(
  index: number,
  a: ResponseSummary | undefined,
  b: ResponseSummary | undefined,
): ResponseDifference[] {
  if (a === undefined) return [{ index, kind: 'extra', original: null, replayed: b!.status }];
  if (b === undefined) return [{ index, kind: 'missing', original: a.status, replayed: null }];
  const out: ResponseDifference[] = [];
  if (a.status !== b.status) out.push({ index, kind: 'status', original: a.status, replayed: b.status });
  if (a.bodySize !== b.bodySize)
    out.push({ index, kind: 'body_size', original: a.bodySize, replayed: b.bodySize });
  for (const name of new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])) {
    const was = a.headers[name] ?? null;
    const now = b.headers[name] ?? null;
    if (was === now) continue;
    const kind = was === null ? 'header_added' : now === null ? 'header_removed' : 'header_changed';
    out.push({ index, kind, header: name, original: was, replayed: now });
  }
  return out;
}

function responsesOf(conv: Conversation, ignored: ReadonlySet<string>): ResponseSummary[] {
  const entries: EntryDraft[] = [];
  const endpoint = { ip: '', port: 0 };
  const ctx: StreamContext = {
    streamId: 0,
    transport: 'tcp',
    client: endpoint,
    server: endpoint,
    clientPort: 0,
    serverPort: 0,
    limits: DEFAULT_DISSECT_LIMITS,
    emit: (entry) => entries.push(entry),
    anomaly: () => {},
    // One conversation already held whole in memory: there is nothing more to bound.
    hold: () => {},
  };
  const dissector = http1Dissector.create(ctx);
  feedServer(dissector, conv.greeting);
  for (const turn of conv.turns) {
    dissector.data(0, turn.sent, 0);
    feedServer(dissector, turn.received);
  }
  dissector.end(0);
  return entries.map((e) => summaryOf(e, ignored));
}

function feedServer(dissector: StreamDissector, parts: readonly StreamPart[]): void {
  for (const p of parts) {
    if (typeof p === 'number') dissector.gap(1, p, 0);
    else dissector.data(1, p, 0);
  }
}

interface HeaderLike {
  name: string;
  value: string;
}

function summaryOf(entry: EntryDraft, ignored: ReadonlySet<string>): ResponseSummary {
  const req = entry.request;
  const res = entry.response;
  const status = typeof res?.status === 'number' ? res.status : null;
  const body = res?.body as { size?: number } | null | undefined;
  const headers: Record<string, string> = {};
  for (const h of (res?.headers as HeaderLike[] | undefined) ?? []) {
    const name = h.name.toLowerCase();
    if (ignored.has(name)) continue;
    headers[name] = name in headers ? `${headers[name]}, ${h.value}` : h.value;
  }
  return {
    index: entry.index,
    request: req === null ? null : `${String(req.method)} ${String(req.path)}`,
    status,
    bodySize: status === null ? null : (body?.size ?? 0),
    headers,
  };
}
