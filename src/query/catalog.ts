/**
 * The fields a query can name: the entry envelope and the union of the documented
 * per-protocol `request`/`response` objects (docs/entries-*.md). A path outside this
 * catalog is QUERY_UNKNOWN_FIELD; below an `any` field (AVP values, DNS record data,
 * protobuf fields) paths are resolved at run time.
 */
export type FieldType =
  | { t: 'string' | 'number' | 'boolean' | 'any' }
  /** A closed object: only the listed names exist. */
  | { t: 'object'; fields: Readonly<Record<string, FieldType>> }
  /** An open object with arbitrary keys (`headerMap`, `avpMap`). */
  | { t: 'map'; of: FieldType }
  /** A list; `named` lists (headers, AVPs) also look elements up by their `name`. */
  | { t: 'list'; of: FieldType; named?: NamedLookup };

export interface NamedLookup {
  /** Header and AVP names compare case-insensitively; query-string names do not. */
  caseInsensitive: boolean;
  /** The element property a lookup yields (`value`), or undefined for the element itself. */
  valueKey?: string;
  valueType: FieldType;
}

const S: FieldType = { t: 'string' };
const N: FieldType = { t: 'number' };
const B: FieldType = { t: 'boolean' };
const ANY: FieldType = { t: 'any' };

function obj(fields: Record<string, FieldType>): FieldType {
  return { t: 'object', fields };
}

function list(of: FieldType): FieldType {
  return { t: 'list', of };
}

function named(
  of: FieldType,
  caseInsensitive: boolean,
  valueKey: string | undefined,
  valueType: FieldType,
): FieldType {
  return { t: 'list', of, named: { caseInsensitive, valueKey, valueType } };
}

const nameValue = obj({ name: S, value: S });
const headers = named(nameValue, true, 'value', S);
const queryString = named(nameValue, false, 'value', S);
const headerMap: FieldType = { t: 'map', of: ANY };

const body = obj({
  size: N,
  truncated: B,
  contentType: S,
  mimeType: S,
  encoding: S,
  contentEncoding: S,
  decodedSize: N,
  decodeError: B,
  decodeFailed: B,
  text: S,
  base64: S,
});

const grpcMessage = obj({ compressed: B, length: N, complete: B, decoded: ANY, fields: ANY, error: S });
const binaryMetadata = named(
  obj({ name: S, base64: S, size: N, text: S, hex: S, protobuf: ANY }),
  true,
  undefined,
  obj({ name: S, base64: S, size: N, text: S, hex: S, protobuf: ANY }),
);

const avp = obj({
  code: N,
  vendorId: N,
  name: S,
  type: S,
  flags: obj({ vendor: B, mandatory: B, protected: B }),
  length: N,
  value: ANY,
  valueName: S,
});

/** Diameter messages (docs/entries-diameter.md): the same shape for requests and answers. */
const diameter: Record<string, FieldType> = {
  command: S,
  commandAbbrev: S,
  commandCode: N,
  applicationId: N,
  application: S,
  flags: obj({ request: B, proxiable: B, error: B, retransmitted: B }),
  hopByHopId: N,
  endToEndId: N,
  avps: named(avp, true, 'value', ANY),
  avpMap: { t: 'map', of: ANY },
  resultCode: N,
};

const dnsRecord = obj({ name: S, type: N, typeName: S, class: N, ttl: N, cacheFlush: B, data: ANY });

/** DNS messages (docs/entries-dns.md): the same shape for queries and responses. */
const dns: Record<string, FieldType> = {
  id: N,
  isResponse: B,
  authoritative: B,
  truncated: B,
  recursionDesired: B,
  recursionAvailable: B,
  authenticData: B,
  checkingDisabled: B,
  opcode: N,
  rcode: N,
  questions: list(obj({ name: S, type: N, typeName: S, class: N, unicastResponse: B })),
  answers: list(dnsRecord),
  authorities: list(dnsRecord),
  additionals: list(dnsRecord),
  malformed: S,
};

/** What HTTP/1.x, HTTP/2 and gRPC put in both directions. */
const httpCommon: Record<string, FieldType> = {
  httpVersion: S,
  headers,
  headerMap,
  trailers: headers,
  body,
  binaryMetadata,
  messages: list(grpcMessage),
  messageCount: N,
};

const request = obj({
  ...diameter,
  ...dns,
  ...httpCommon,
  method: S,
  path: S,
  url: S,
  queryString,
  authority: S,
  scheme: S,
  h2Stream: N,
  pushed: B,
  service: S,
  httpMethod: S,
  timeoutMs: N,
  encoding: S,
});

const response = obj({
  ...diameter,
  ...dns,
  ...httpCommon,
  status: N,
  statusText: S,
  interim: list(obj({ status: N, statusText: S, headers })),
  informational: list(N),
  resetError: S,
  grpcStatus: N,
  grpcMessage: S,
  trailersOnly: B,
});

const endpoint = obj({ ip: S, port: N, name: S, namespace: S });

/** The envelope (docs/entries.md) plus the two fields the store adds to what it returns. */
export const ENTRY_FIELDS: Readonly<Record<string, FieldType>> = {
  id: S,
  protocol: S,
  transport: S,
  streamId: N,
  index: N,
  src: endpoint,
  dst: endpoint,
  timestampUs: N,
  elapsedUs: N,
  request,
  response,
  requestSize: N,
  responseSize: N,
  flags: list(S),
  streamKey: S,
  node: S,
};

/** Short names users type for envelope fields (both are µs, so `elapsed > seconds(1)` reads well). */
export const FIELD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['timestamp', 'timestampUs'],
  ['elapsed', 'elapsedUs'],
]);

/** Bare words that select a protocol or a transport. */
export const PROTOCOL_WORDS: ReadonlyMap<string, { field: 'protocol' | 'transport'; value: string }> =
  new Map([
    ['http', { field: 'protocol', value: 'http' }],
    ['http2', { field: 'protocol', value: 'http2' }],
    ['grpc', { field: 'protocol', value: 'grpc' }],
    ['diameter', { field: 'protocol', value: 'diameter' }],
    ['dns', { field: 'protocol', value: 'dns' }],
    ['tcp', { field: 'transport', value: 'tcp' }],
    ['udp', { field: 'transport', value: 'udp' }],
    ['sctp', { field: 'transport', value: 'sctp' }],
  ]);

/** A name for messages: `string`, `number`, `list`, ... */
export function typeName(type: FieldType): string {
  switch (type.t) {
    case 'map':
      return 'object';
    case 'list':
      return `list of ${typeName(type.of)}`;
    default:
      return type.t;
  }
}
