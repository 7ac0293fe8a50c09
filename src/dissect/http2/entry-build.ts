import type { EntryDraft } from '../entry.js';
import type { StreamContext } from '../types.js';
import { grpcRequest, grpcResponse } from '../grpc/call.js';
import type { GrpcSchemaDecoder } from '../grpc/schema.js';
import { describeBody } from './body-display.js';
import type { HeaderField } from './hpack/decoder.js';
import { headerValue, type H2Stream, type StreamSide } from './stream.js';

function queryString(path: string): Array<{ name: string; value: string }> {
  const q = path.indexOf('?');
  if (q < 0) return [];
  const out: Array<{ name: string; value: string }> = [];
  for (const part of path.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push({
      name: unescape(eq < 0 ? part : part.slice(0, eq)),
      value: eq < 0 ? '' : unescape(part.slice(eq + 1)),
    });
  }
  return out;
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Adds the side's `body`, when it sent one, to its entry object (added, not spread in: a spread copies through a generic builtin, per entry). */
function addBody(out: Record<string, unknown>, side: StreamSide, max: number): void {
  const view = describeBody(
    side.body,
    headerValue(side.headers, 'content-type') ?? '',
    headerValue(side.headers, 'content-encoding') ?? '',
    max,
  );
  if (view !== undefined) out.body = view;
}

function httpRequest(stream: H2Stream, max: number): Record<string, unknown> {
  const headers = stream.request.headers as HeaderField[];
  const path = headerValue(headers, ':path') ?? '';
  const scheme = headerValue(headers, ':scheme') ?? '';
  const authority = headerValue(headers, ':authority') ?? headerValue(headers, 'host') ?? '';
  const request: Record<string, unknown> = {
    method: headerValue(headers, ':method') ?? '',
    path,
    url: scheme !== '' && authority !== '' ? `${scheme}://${authority}${path}` : path,
    authority,
    scheme,
    httpVersion: 'HTTP/2',
    h2Stream: stream.id,
    headers,
    queryString: queryString(path),
  };
  addBody(request, stream.request, max);
  if (stream.request.trailers !== null) request.trailers = stream.request.trailers;
  if (stream.pushed) request.pushed = true;
  return request;
}

function httpResponse(stream: H2Stream, max: number): Record<string, unknown> {
  const side = stream.response;
  const status = headerValue(side.headers, ':status');
  const response: Record<string, unknown> = {
    status: status === undefined ? null : Number(status),
    httpVersion: 'HTTP/2',
    headers: side.headers ?? [],
  };
  addBody(response, side, max);
  if (side.trailers !== null) response.trailers = side.trailers;
  if (side.informational.length > 0) response.informational = side.informational.map(Number);
  return response;
}

function completionFlags(stream: H2Stream): void {
  const { request, response, flags } = stream;
  if (response.headers === null && response.trailers === null && !flags.has('reset'))
    flags.add('no_response');
  else if (!stream.done && !flags.has('reset')) flags.add('incomplete');
  if (request.body.truncated || response.body.truncated) flags.add('body_truncated');
}

/** Turns a finished (or abandoned) stream into its entry: protocol 'grpc' for application/grpc*, else 'http2'. */
export function buildEntry(
  stream: H2Stream,
  ctx: StreamContext,
  schema: GrpcSchemaDecoder | undefined,
): EntryDraft {
  completionFlags(stream);
  const max = ctx.limits.maxBodyBytes;
  const { request: req, response: res } = stream;
  let request: Record<string, unknown> | null = stream.upgradeRequest;
  let response: Record<string, unknown> | null = null;
  const answered = res.headers !== null || res.trailers !== null || stream.resetCode !== null;
  if (stream.grpc && req.headers !== null) {
    const call = grpcRequest(stream, schema, max);
    request = call.request;
    if (answered) response = grpcResponse(stream, call.call);
  } else {
    if (req.headers !== null) request = httpRequest(stream, max);
    if (answered) response = httpResponse(stream, max);
  }
  if (response !== null && stream.resetCode !== null) response.resetError = stream.resetCode;
  const start = req.firstTsUs >= 0 ? req.firstTsUs : res.firstTsUs;
  return {
    protocol: stream.grpc && req.headers !== null ? 'grpc' : 'http2',
    transport: ctx.transport,
    streamId: ctx.streamId,
    index: stream.index,
    src: ctx.client,
    dst: ctx.server,
    timestampUs: Math.max(0, start),
    elapsedUs: res.lastTsUs >= 0 && start >= 0 ? res.lastTsUs - start : null,
    request,
    response,
    requestSize: req.size,
    responseSize: res.size,
    flags: [...stream.flags],
  };
}
