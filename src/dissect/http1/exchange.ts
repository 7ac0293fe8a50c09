/** One HTTP/1.x request/response exchange while it is being read, and its entry objects. */
import type { Endpoint, EntryDraft } from '../entry.js';
import type { StreamContext } from '../types.js';
import { BodyCollector } from '../util/body-collector.js';
import type { WaitingExchanges } from '../util/waiting-exchanges.js';
import { summarizeBody } from './body.js';
import { headerMap, lastValue, type HeaderField, type RequestLine, type StatusLine } from './head.js';

export interface MessageParts {
  headers: HeaderField[];
  body: BodyCollector;
  trailers: HeaderField[] | null;
}

export interface RequestParts extends MessageParts {
  method: string;
  target: string;
  version: string;
}

export interface ResponseParts extends MessageParts {
  status: number;
  reason: string;
  version: string;
}

export interface Interim {
  status: number;
  statusText: string;
  headers: HeaderField[];
}

export class Exchange {
  request: RequestParts | null = null;
  response: ResponseParts | null = null;
  readonly interim: Interim[] = [];
  readonly flags = new Set<string>();
  requestStartUs = 0;
  responseStartUs = 0;
  responseEndUs = 0;
  requestSize = 0;
  responseSize = 0;
  requestDone = false;
  responseDone = false;
  /** What its parsed heads (request, interim, response) were declared to cost, until release. */
  private declared = 0;

  headParsed(wireBytes: number, waiting: WaitingExchanges): void {
    this.declared += waiting.parsed(wireBytes);
  }

  /** The exchange is in its entry (or handed to HTTP/2): it stops waiting, and what it kept is no longer declared. */
  release(waiting: WaitingExchanges): void {
    waiting.closed(this.declared);
    this.declared = 0;
    this.request?.body.release();
    this.response?.body.release();
  }
}

/*
 * The parts are object literals with every field in one order, not spreads of the start
 * line: V8 gives an object built by spreading two objects a hidden class of its own, with
 * its descriptors, which cost about 250 bytes per pending request.
 */
export function requestParts(line: RequestLine, headers: HeaderField[], ctx: StreamContext): RequestParts {
  const { method, target, version } = line;
  const body = new BodyCollector(ctx.limits.maxBodyBytes, ctx, ctx.limits.bodyText);
  return { method, target, version, headers, body, trailers: null };
}

export function responseParts(line: StatusLine, headers: HeaderField[], ctx: StreamContext): ResponseParts {
  const { status, reason, version } = line;
  const body = new BodyCollector(ctx.limits.maxBodyBytes, ctx, ctx.limits.bodyText);
  return { status, reason, version, headers, body, trailers: null };
}

/** `key=value&...` of the request target, percent-decoded where valid ('+' is a space in forms). */
export function queryString(target: string): Array<{ name: string; value: string }> {
  const q = target.indexOf('?');
  if (q < 0) return [];
  const end = target.indexOf('#', q);
  return target
    .slice(q + 1, end < 0 ? undefined : end)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? { name: unescapeForm(pair), value: '' }
        : { name: unescapeForm(pair.slice(0, eq)), value: unescapeForm(pair.slice(eq + 1)) };
    });
}

function unescapeForm(s: string): string {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function url(r: RequestParts): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(r.target)) return r.target;
  const host = lastValue(r.headers, 'host');
  return host && r.target.startsWith('/') ? `http://${host}${r.target}` : r.target;
}

function body(m: MessageParts, bodyLimit: number): Record<string, unknown> | null {
  if (m.body.size === 0) return null;
  const type = lastValue(m.headers, 'content-type') ?? null;
  const coding = lastValue(m.headers, 'content-encoding') ?? null;
  return summarizeBody(m.body, type, coding, bodyLimit);
}

/*
 * The entry objects get their fields added in order rather than spread from parts: a spread
 * copies through a generic builtin that looks each property up, and entries are made for
 * every exchange.
 */

/** A message's header fields, in their place after its start line. */
function addHeaderFields(out: Record<string, unknown>, m: MessageParts): void {
  out.headers = m.headers;
  out.headerMap = headerMap(m.headers);
  if (m.trailers) out.trailers = m.trailers;
}

export function requestObject(r: RequestParts, bodyLimit: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    method: r.method,
    path: r.target,
    url: url(r),
    httpVersion: `HTTP/${r.version}`,
  };
  addHeaderFields(out, r);
  out.queryString = queryString(r.target);
  out.body = body(r, bodyLimit);
  return out;
}

function responseObject(x: Exchange, bodyLimit: number): Record<string, unknown> | null {
  const r = x.response;
  if (!r) return x.interim.length > 0 ? { status: null, interim: x.interim } : null;
  const out: Record<string, unknown> = {
    status: r.status,
    statusText: r.reason,
    httpVersion: `HTTP/${r.version}`,
  };
  addHeaderFields(out, r);
  out.body = body(r, bodyLimit);
  if (x.interim.length > 0) out.interim = x.interim;
  return out;
}

export function entryOf(
  x: Exchange,
  ctx: StreamContext,
  index: number,
  src: Endpoint,
  dst: Endpoint,
): EntryDraft {
  const bodyLimit = ctx.limits.maxBodyBytes;
  const flags = new Set(x.flags);
  if (!x.response) flags.add('no_response');
  if (x.request?.body.truncated || x.response?.body.truncated) flags.add('body_truncated');
  const start = x.request ? x.requestStartUs : x.responseStartUs;
  return {
    protocol: 'http',
    transport: ctx.transport,
    streamId: ctx.streamId,
    index,
    src,
    dst,
    timestampUs: start,
    elapsedUs: x.response && x.responseDone ? x.responseEndUs - start : null,
    request: x.request ? requestObject(x.request, bodyLimit) : null,
    response: responseObject(x, bodyLimit),
    requestSize: x.requestSize,
    responseSize: x.responseSize,
    flags: [...flags],
  };
}
