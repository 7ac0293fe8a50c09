import type { Entry } from '../../src/dissect/entry.js';

/**
 * Hand-written entries in the shapes of docs/entries-*.md, one or two per protocol, used by
 * the evaluator tests and to run the examples of docs/query-language.md. T0 is
 * 2026-11-21T10:00:00Z in µs (Date.UTC counts months from 0).
 */
export const T0 = Date.UTC(2026, 10, 21, 10, 0, 0) * 1000;

const h = (name: string, value: string) => ({ name, value });

const frontEnd = { ip: '10.1.0.5', port: 43210, name: 'front-end.sock-shop', namespace: 'sock-shop' };
const catalogue = { ip: '10.1.0.9', port: 80, name: 'catalogue.sock-shop', namespace: 'sock-shop' };

export const HTTP_GET: Entry = {
  id: 'h1-get',
  protocol: 'http',
  transport: 'tcp',
  streamId: 1,
  index: 0,
  src: frontEnd,
  dst: catalogue,
  timestampUs: T0 + 1_000_000,
  elapsedUs: 2_500,
  request: {
    method: 'GET',
    path: '/catalogue?size=5',
    url: 'http://catalogue/catalogue?size=5',
    httpVersion: 'HTTP/1.1',
    headers: [
      h('Host', 'catalogue'),
      h('Accept', 'application/json'),
      h('X-Forwarded-For', '192.0.2.1'),
      h('X-Forwarded-For', '198.51.100.7'),
    ],
    headerMap: {
      host: 'catalogue',
      accept: 'application/json',
      'x-forwarded-for': ['192.0.2.1', '198.51.100.7'],
    },
    queryString: [h('size', '5')],
    body: null,
  },
  response: {
    status: 200,
    statusText: 'OK',
    httpVersion: 'HTTP/1.1',
    headers: [h('Content-Type', 'application/json'), h('Content-Length', '312')],
    headerMap: { 'content-type': 'application/json', 'content-length': '312' },
    body: { size: 312, truncated: false, contentType: 'application/json', text: '[{"id":"sock-1"}]' },
  },
  requestSize: 180,
  responseSize: 1200,
  flags: [],
};

export const HTTP_POST_FAILED: Entry = {
  id: 'h1-post',
  protocol: 'http',
  transport: 'tcp',
  streamId: 2,
  index: 0,
  src: { ip: '10.1.0.7', port: 50000 },
  dst: catalogue,
  timestampUs: T0 + 30_000_000,
  elapsedUs: 250_000,
  request: {
    method: 'POST',
    path: '/orders',
    url: 'http://orders/orders',
    httpVersion: 'HTTP/1.1',
    headers: [h('Host', 'orders'), h('Content-Type', 'application/JSON; charset=utf-8')],
    headerMap: { host: 'orders', 'content-type': 'application/JSON; charset=utf-8' },
    queryString: [],
    body: {
      size: 40,
      truncated: false,
      contentType: 'application/JSON; charset=utf-8',
      text: '{"items":[]}',
    },
  },
  response: {
    status: 503,
    statusText: 'Service Unavailable',
    httpVersion: 'HTTP/1.1',
    headers: [h('Retry-After', '5')],
    headerMap: { 'retry-after': '5' },
    body: null,
  },
  requestSize: 120,
  responseSize: 90,
  flags: ['gap'],
};

export const HTTP2_NOT_FOUND: Entry = {
  id: 'h2-404',
  protocol: 'http2',
  transport: 'tcp',
  streamId: 3,
  index: 1,
  src: { ip: '10.2.0.3', port: 40000, name: 'browser.default', namespace: 'default' },
  dst: { ip: '10.2.0.4', port: 443, name: 'web.shop', namespace: 'shop' },
  timestampUs: T0 + 90_000_000,
  elapsedUs: 1_000,
  request: {
    method: 'GET',
    path: '/index.html',
    authority: 'shop.example',
    scheme: 'https',
    url: 'https://shop.example/index.html',
    httpVersion: 'HTTP/2',
    h2Stream: 3,
    headers: [
      h(':method', 'GET'),
      h(':scheme', 'https'),
      h(':path', '/index.html'),
      h(':authority', 'shop.example'),
      h('accept', 'text/html'),
    ],
    queryString: [],
  },
  response: {
    status: 404,
    httpVersion: 'HTTP/2',
    headers: [h(':status', '404'), h('content-type', 'text/html')],
    body: { size: 9, mimeType: 'text/html', text: 'not found' },
  },
  requestSize: 60,
  responseSize: 40,
  flags: [],
};

const grpcRequestHeaders = (method: string) => [
  h(':method', 'POST'),
  h(':scheme', 'http'),
  h(':path', `/catalogue.Catalogue/${method}`),
  h(':authority', 'catalogue:50051'),
  h('content-type', 'application/grpc'),
  h('authorization', 'Token 5f2b'),
];

export const GRPC_NOT_FOUND: Entry = {
  id: 'grpc-5',
  protocol: 'grpc',
  transport: 'tcp',
  streamId: 4,
  index: 0,
  src: { ...frontEnd, port: 52000 },
  dst: { ...catalogue, port: 50051 },
  timestampUs: T0 + 5_000_000,
  elapsedUs: 900,
  request: {
    service: 'catalogue.Catalogue',
    method: 'List',
    path: '/catalogue.Catalogue/List',
    authority: 'catalogue:50051',
    httpMethod: 'POST',
    h2Stream: 1,
    headers: grpcRequestHeaders('List'),
    messages: [
      {
        compressed: false,
        length: 6,
        complete: true,
        fields: [{ field: 1, wireType: 'string', value: 'sock' }],
      },
    ],
    messageCount: 1,
  },
  response: {
    status: 200,
    grpcStatus: 5,
    grpcMessage: 'not found',
    trailersOnly: false,
    headers: [h(':status', '200'), h('content-type', 'application/grpc')],
    trailers: [h('grpc-status', '5'), h('grpc-message', 'not found')],
    messages: [],
    messageCount: 0,
  },
  requestSize: 700,
  responseSize: 400,
  flags: [],
};

export const GRPC_NO_RESPONSE: Entry = {
  id: 'grpc-none',
  protocol: 'grpc',
  transport: 'tcp',
  streamId: 4,
  index: 1,
  src: { ...frontEnd, port: 52000 },
  dst: { ...catalogue, port: 50051 },
  timestampUs: T0 + 6_000_000,
  elapsedUs: null,
  request: {
    service: 'catalogue.Catalogue',
    method: 'Get',
    path: '/catalogue.Catalogue/Get',
    authority: 'catalogue:50051',
    httpMethod: 'POST',
    h2Stream: 3,
    headers: grpcRequestHeaders('Get'),
    messages: [],
    messageCount: 0,
  },
  response: null,
  requestSize: 80,
  responseSize: 0,
  flags: ['no_response'],
};

const avp = (code: number, name: string, type: string, value: unknown, valueName?: string) => ({
  code,
  name,
  type,
  flags: { vendor: false, mandatory: true, protected: false },
  length: 12,
  value,
  ...(valueName === undefined ? {} : { valueName }),
});

export const DIAMETER_CCR: Entry = {
  id: 'dia-ccr',
  protocol: 'diameter',
  transport: 'tcp',
  streamId: 5,
  index: 0,
  src: { ip: '10.3.0.1', port: 40001, name: 'pcef.core', namespace: 'core' },
  dst: { ip: '10.3.0.2', port: 3868, name: 'ocs.core', namespace: 'core' },
  timestampUs: T0 + 10_000_000,
  elapsedUs: 21_145,
  request: {
    command: 'Credit-Control-Request',
    commandAbbrev: 'CCR',
    commandCode: 272,
    applicationId: 4,
    application: 'Diameter Credit Control',
    flags: { request: true, proxiable: true, error: false, retransmitted: false },
    hopByHopId: 48908592,
    endToEndId: 653262851,
    avps: [
      avp(263, 'Session-Id', 'UTF8String', 'pcef;1;42'),
      avp(264, 'Origin-Host', 'DiamIdent', 'pcef.example.net'),
      avp(443, 'Subscription-Id', 'Grouped', [
        avp(444, 'Subscription-Id-Data', 'UTF8String', '15551234567'),
        avp(450, 'Subscription-Id-Type', 'Enumerated', 0, 'END_USER_E164'),
      ]),
      avp(416, 'CC-Request-Type', 'Enumerated', 1, 'INITIAL_REQUEST'),
    ],
    avpMap: {
      'Session-Id': 'pcef;1;42',
      'Origin-Host': 'pcef.example.net',
      'Subscription-Id': { 'Subscription-Id-Data': '15551234567', 'Subscription-Id-Type': 0 },
      'CC-Request-Type': 1,
    },
    resultCode: null,
  },
  response: {
    command: 'Credit-Control-Answer',
    commandAbbrev: 'CCA',
    commandCode: 272,
    applicationId: 4,
    application: 'Diameter Credit Control',
    flags: { request: false, proxiable: true, error: false, retransmitted: false },
    hopByHopId: 48908592,
    endToEndId: 653262851,
    avps: [avp(263, 'Session-Id', 'UTF8String', 'pcef;1;42'), avp(268, 'Result-Code', 'Unsigned32', 2001)],
    avpMap: { 'Session-Id': 'pcef;1;42', 'Result-Code': 2001 },
    resultCode: 2001,
  },
  requestSize: 180,
  responseSize: 120,
  flags: [],
};

const dnsHeader = {
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: false,
  authenticData: false,
  checkingDisabled: false,
  authorities: [],
  additionals: [],
};

const dnsEntry = (id: string, name: string, rcode: number, answers: object[], offsetUs: number): Entry => ({
  id,
  protocol: 'dns',
  transport: 'udp',
  streamId: 6,
  index: 0,
  src: { ip: '10.4.0.8', port: 40000, name: 'client.default', namespace: 'default' },
  dst: { ip: '10.96.0.10', port: 53, name: 'kube-dns.kube-system', namespace: 'kube-system' },
  timestampUs: T0 + offsetUs,
  elapsedUs: 1_300,
  request: {
    ...dnsHeader,
    id: 4660,
    isResponse: false,
    rcode: 0,
    questions: [{ name, type: 28, typeName: 'AAAA', class: 1 }],
    answers: [],
  },
  response: {
    ...dnsHeader,
    id: 4660,
    isResponse: true,
    rcode,
    questions: [{ name, type: 28, typeName: 'AAAA', class: 1 }],
    answers,
  },
  requestSize: 40,
  responseSize: 68,
  flags: [],
});

export const DNS_AAAA = dnsEntry(
  'dns-aaaa',
  'api.example.com',
  0,
  [{ name: 'api.example.com', type: 28, typeName: 'AAAA', class: 1, ttl: 300, data: '2001:db8::1' }],
  20_000_000,
);

export const DNS_NXDOMAIN = dnsEntry('dns-nx', 'missing.example.org', 3, [], 21_000_000);

export const SAMPLES: readonly Entry[] = [
  HTTP_GET,
  HTTP_POST_FAILED,
  HTTP2_NOT_FOUND,
  GRPC_NOT_FOUND,
  GRPC_NO_RESPONSE,
  DIAMETER_CCR,
  DNS_AAAA,
  DNS_NXDOMAIN,
];

/** `now()` for tests: two minutes after T0, so "the last five minutes" holds every sample. */
export const NOW_US = T0 + 120_000_000;

/** The ids of the samples a query matches. */
export function matchingIds(predicate: (e: Entry) => boolean): string[] {
  return SAMPLES.filter(predicate).map((e) => e.id);
}
