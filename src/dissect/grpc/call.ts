import type { HeaderField } from '../http2/hpack/decoder.js';
import { decodeContent } from '../http2/body-display.js';
import { headerValue, type H2Stream, type StreamSide } from '../http2/stream.js';
import { decodeRawProtobuf, type RawField } from '../protobuf/raw.js';
import { binaryMetadata, parseGrpcPath, parseGrpcTimeout } from './metadata.js';
import type { GrpcMessage } from './messages.js';
import type { GrpcSchemaDecoder } from './schema.js';

/** One gRPC message as an entry shows it. */
export interface GrpcMessageView {
  compressed: boolean;
  length: number;
  complete: boolean;
  /** Decoded by name with the user's .proto files. */
  decoded?: { type: string; value: unknown };
  /** Raw protobuf decoding (always tried when `decoded` is absent). */
  fields?: RawField[];
  /** Why neither decoding is present: 'not_kept' (over the size limit), 'not_protobuf', 'decompress_failed'. */
  error?: string;
}

const MAX_BIN_SHOWN = 256;

interface CallContext {
  service: string;
  method: string;
  schema?: GrpcSchemaDecoder;
  maxBytes: number;
}

function viewMessage(
  m: GrpcMessage,
  side: 'request' | 'response',
  encoding: string,
  call: CallContext,
): GrpcMessageView {
  const view: GrpcMessageView = { compressed: m.compressed, length: m.length, complete: m.complete };
  let data = m.data;
  if (data === null || !m.complete) {
    view.error = 'not_kept';
    return view;
  }
  if (m.compressed) {
    data = decodeContent(data, encoding, call.maxBytes);
    if (data === null) {
      view.error = 'decompress_failed';
      return view;
    }
  }
  const decoded = call.schema?.decode(call.service, call.method, side, data) ?? null;
  if (decoded !== null) view.decoded = decoded;
  else {
    const fields = decodeRawProtobuf(data);
    if (fields === null) view.error = 'not_protobuf';
    else view.fields = fields;
  }
  return view;
}

function messages(
  side: StreamSide,
  which: 'request' | 'response',
  call: CallContext,
): { messages: GrpcMessageView[]; messageCount: number } {
  const reader = side.grpc;
  if (reader === null) return { messages: [], messageCount: 0 };
  const encoding = headerValue(side.headers, 'grpc-encoding') ?? 'identity';
  return {
    messages: reader.messages.map((m) => viewMessage(m, which, encoding, call)),
    messageCount: reader.count,
  };
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function grpcRequest(
  stream: H2Stream,
  schema: GrpcSchemaDecoder | undefined,
  maxBytes: number,
): { request: Record<string, unknown>; call: CallContext } {
  const headers = stream.request.headers as HeaderField[];
  const path = headerValue(headers, ':path') ?? '';
  const { service, method } = parseGrpcPath(path);
  const call: CallContext = { service, method, schema, maxBytes };
  const timeout = headerValue(headers, 'grpc-timeout');
  const request: Record<string, unknown> = {
    service,
    method,
    path,
    authority: headerValue(headers, ':authority') ?? '',
    httpMethod: headerValue(headers, ':method') ?? '',
    h2Stream: stream.id,
    headers,
    ...messages(stream.request, 'request', call),
  };
  if (timeout !== undefined) request.timeoutMs = parseGrpcTimeout(timeout);
  const encoding = headerValue(headers, 'grpc-encoding');
  if (encoding !== undefined) request.encoding = encoding;
  const bin = binaryMetadata([headers], MAX_BIN_SHOWN);
  if (bin.length > 0) request.binaryMetadata = bin;
  return { request, call };
}

/**
 * The response of a gRPC call. grpc-status/grpc-message come from the trailers, or from the
 * only header block in a "trailers-only" response.
 */
export function grpcResponse(stream: H2Stream, call: CallContext): Record<string, unknown> {
  const { headers, trailers } = stream.response;
  const trailersOnly = trailers === null && headerValue(headers, 'grpc-status') !== undefined;
  const statusSource = trailersOnly ? headers : trailers;
  const grpcStatus = headerValue(statusSource, 'grpc-status');
  const grpcMessage = headerValue(statusSource, 'grpc-message');
  const status = headerValue(headers, ':status');
  const response: Record<string, unknown> = {
    status: status === undefined ? null : Number(status),
    grpcStatus: grpcStatus === undefined ? null : Number(grpcStatus),
    grpcMessage: grpcMessage === undefined ? null : percentDecode(grpcMessage),
    trailersOnly,
    headers: headers ?? [],
    trailers: trailers ?? [],
    ...messages(stream.response, 'response', call),
  };
  const bin = binaryMetadata([headers, trailers], MAX_BIN_SHOWN);
  if (bin.length > 0) response.binaryMetadata = bin;
  return response;
}
