// The compiled predicate over the hand-written entries of samples.ts: each expected list is
// read off the sample entries by hand (the comment says why when it is not obvious).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery } from '../../src/query/index.js';
import { matchingIds, NOW_US, SAMPLES } from './samples.js';

const ALL = SAMPLES.map((e) => e.id);
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));

const CASES: [string, string[]][] = [
  ['', ALL],
  ['http', ['h1-get', 'h1-post']],
  ['http2', ['h2-404']],
  ['grpc', ['grpc-5', 'grpc-none']],
  ['diameter', ['dia-ccr']],
  ['dns', ['dns-aaaa', 'dns-nx']],
  ['udp', ['dns-aaaa', 'dns-nx']],
  ['tcp', except('dns-aaaa', 'dns-nx')],
  ['sctp', []],
  ['http or http2', ['h1-get', 'h1-post', 'h2-404']],
  [
    'grpc and request.headers["Authorization"] == r"Token.*" and src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"',
    ['grpc-5', 'grpc-none'],
  ],
  ['request.method == "GET"', ['h1-get', 'h2-404']],
  ['request.method == r"^get$"i', ['h1-get', 'h2-404', 'grpc-none']], // gRPC method "Get"
  ['request.method == r"(?i)^get$"', ['h1-get', 'h2-404', 'grpc-none']],
  ['request.method != "GET"', ['h1-post', 'grpc-5', 'grpc-none']], // DNS/Diameter: no method
  // Missing fields: every comparison false except == null; `not` flips the whole comparison.
  ['response.status != 200', ['h1-post', 'h2-404']],
  ['not (response.status == 200)', except('h1-get', 'grpc-5')],
  ['response == null', ['grpc-none']],
  ['response != null', except('grpc-none')],
  ['elapsed == null', ['grpc-none']],
  ['src.name == null', ['h1-post']],
  ['src.name != "front-end.sock-shop"', ['h2-404', 'dia-ccr', 'dns-aaaa', 'dns-nx']],
  ['response.informational == null', ALL],
  // Header lookups: names case-insensitive, a repeated header is several values.
  ['request.headers["HOST"] == "catalogue"', ['h1-get']],
  ['request.headers["x-forwarded-for"] == "198.51.100.7"', ['h1-get']],
  ['request.headers["x-forwarded-for"] != "198.51.100.7"', []],
  ['request.headers["x-forwarded-for"] != "203.0.113.1"', ['h1-get']],
  ['len(request.headers["x-forwarded-for"]) == 12', ['h1-get']], // "198.51.100.7"
  ['len(request.headers) == 5', ['h2-404']],
  ['request.headers.name == ":authority"', ['h2-404', 'grpc-5', 'grpc-none']],
  ['response.trailers["GRPC-STATUS"] == "5"', ['grpc-5']],
  ['request.headerMap["x-forwarded-for"] == "192.0.2.1"', ['h1-get']],
  ['request.queryString["size"] == "5"', ['h1-get']],
  ['request.queryString["SIZE"] == "5"', []], // query names are case-sensitive
  ['request.binaryMetadata["x-bin"] == null', ALL],
  // Lists
  ['len(flags) == 0', except('h1-post', 'grpc-none')],
  ['flags == "gap"', ['h1-post']],
  ['flags != "gap"', except('h1-post')],
  ['contains(flags, "no_response")', ['grpc-none']],
  ['contains(flags, "response")', []], // membership, not substring
  ['request.messages.fields.value == "sock"', ['grpc-5']],
  ['request.messages[0].fields[0].value == "sock"', ['grpc-5']],
  // Text helpers
  ['contains(request.path, "Catalogue")', ['grpc-5', 'grpc-none']],
  ['startsWith(request.path, "/cat")', ['h1-get', 'grpc-5', 'grpc-none']],
  ['endsWith(dst.name, ".sock-shop")', ['h1-get', 'h1-post', 'grpc-5', 'grpc-none']],
  ['request.path < "/index"', ['h1-get', 'grpc-5', 'grpc-none']],
  // Diameter
  ['request.avps["origin-host"] == "pcef.example.net"', ['dia-ccr']],
  ['request.avps["Subscription-Id"]["Subscription-Id-Data"] == "15551234567"', ['dia-ccr']],
  ['request.avpMap["Subscription-Id"]["Subscription-Id-Type"] == 0', ['dia-ccr']],
  ['request.avps[2].value[1].valueName == "END_USER_E164"', ['dia-ccr']],
  ['response.avps["Result-Code"] == 2001', ['dia-ccr']],
  ['response.avps["Result-Code"] == "2001"', []], // a number never equals a string
  ['response.avps["Result-Code"] != "2001"', []],
  ['request.flags.request', ['dia-ccr']],
  ['not request.flags.request', except('dia-ccr')],
  ['response.resultCode >= 2000 and response.resultCode < 3000', ['dia-ccr']],
  // DNS
  ['request.questions.name == "api.example.com"', ['dns-aaaa']],
  ['request.questions[0].typeName == "AAAA"', ['dns-aaaa', 'dns-nx']],
  ['response.answers[0].data == "2001:db8::1"', ['dns-aaaa']],
  ['response.rcode == 3', ['dns-nx']],
  // Time: T0 = 2026-11-21T10:00:00Z, now() = T0 + 120 s.
  [
    'timestamp >= datetime("2026-11-21T10:00:05Z") and timestamp <= datetime("2026-11-21T10:00:10Z")',
    ['grpc-5', 'grpc-none', 'dia-ccr'],
  ],
  ['timestamp > now() - seconds(100)', ['h1-post', 'h2-404', 'dns-nx']], // dns-aaaa is exactly T0+20 s
  ['elapsed > milliseconds(20)', ['h1-post', 'dia-ccr']],
  ['datetime("2026-11-21T11:00:00+01:00") == datetime("2026-11-21T10:00:00Z")', ALL],
  ['timestamp == datetime("2026-11-21T10:00:00.000001Z") - microseconds(1) + seconds(1)', ['h1-get']],
  ['timestampUs == datetime("2026-11-21 10:00:01")', ['h1-get']],
  // Endpoints and arithmetic
  ['src.port == dst.port', []],
  ['src.namespace == dst.namespace', ['h1-get', 'grpc-5', 'grpc-none', 'dia-ccr']],
  ['requestSize + responseSize > 1000', ['h1-get', 'grpc-5']],
  ['-src.port < -50000', ['grpc-5', 'grpc-none']],
  ['request.body == null and http', ['h1-get']],
  ['response.body.size > 100', ['h1-get']],
  ['id == "dns-nx"', ['dns-nx']],
  // Logic
  ['true', ALL],
  ['false', []],
  ['not true', []],
  ['(http or dns) and not udp', ['h1-get', 'h1-post']],
  ['http && response.status >= 500 || dns && response.rcode != 0', ['h1-post', 'dns-nx']],
  ['!(http)', except('h1-get', 'h1-post')],
  ['response.status > 199 and response.status < 300', ['h1-get', 'grpc-5']],
  ['limit(3)', ALL],
];

test('queries over the sample entries', () => {
  for (const [query, expected] of CASES) {
    const { predicate } = compileQuery(query, { nowUs: NOW_US });
    assert.deepEqual(matchingIds(predicate), expected, query);
  }
});

test('limit(n) is returned beside the predicate', () => {
  assert.equal(compileQuery('http and limit(25)').limit, 25);
  assert.equal(compileQuery('limit(7)').limit, 7);
  assert.equal(compileQuery('http').limit, undefined);
});

test('the predicate never throws on odd entries', () => {
  const odd: object[] = [
    {},
    { request: 5, response: 'x', src: null, flags: 'gap' },
    { request: { headers: 'Host: x', avps: [null, 1, { name: 5 }], questions: {} } },
    { request: { headers: [{ name: 'Host' }], messages: [[]] }, response: { status: '200' } },
  ];
  const queries = CASES.map(([q]) => q);
  for (const q of queries) {
    const { predicate } = compileQuery(q, { nowUs: NOW_US });
    for (const entry of odd) assert.equal(typeof predicate(entry as never), 'boolean', q);
  }
});

test('a documented scalar of another type counts as missing', () => {
  const entry = { response: { status: '200' }, src: { name: 7 } } as never;
  assert.equal(compileQuery('response.status == null').predicate(entry), true);
  assert.equal(compileQuery('response.status != 200').predicate(entry), false);
  assert.equal(compileQuery('src.name == null').predicate(entry), true);
});
