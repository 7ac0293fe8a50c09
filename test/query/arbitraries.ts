import fc from 'fast-check';

/**
 * Generators shared by the push-down differential test and the query fuzz test: entries
 * in (and slightly out of) the documented shapes, and queries over the indexed fields
 * (which push down to SQL) mixed with fields only the predicate can read.
 */

/** Strings that make SQL and JavaScript disagree if anything is off: NUL, non-BMP, U+FFFF, case. */
export const trickyText = fc.constantFrom(
  '',
  'a',
  'A',
  'GET',
  'get',
  'POST',
  '/',
  '/api',
  '/api/v1',
  '/ap',
  'é',
  'e\u0301',
  '😀',
  '😀x',
  '\u0000',
  'a\u0000b',
  '\uffff',
  '\ue000',
  '\ud7ff',
  '%',
  '_',
  "'",
  'front-end.sock-shop',
  'catalogue.sock-shop',
  '10.0.0.1',
  '::1',
  'http',
  'dns',
  'tcp',
);

export const text = fc.oneof(
  { weight: 3, arbitrary: trickyText },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 5 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
);

export const finiteNumber = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom(0, 200, 204, 404, 500, 53, 80, 1.5, -1, 1e15, 2 ** 53),
);

const anyNumber = fc.oneof(
  { weight: 5, arbitrary: finiteNumber },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0) },
);

/** Mostly the documented type; sometimes missing, null or of another type. */
function loosely<T>(typed: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: typed },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
    { weight: 1, arbitrary: fc.oneof(anyNumber, text, fc.boolean(), fc.constant([]), fc.constant({ a: 1 })) },
  );
}

function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

const endpoint = fc
  .record({ ip: loosely(text), port: loosely(anyNumber), name: loosely(text), namespace: loosely(text) })
  .map(defined);

const header = fc.record({ name: fc.constantFrom('Host', 'host', 'Content-Type', 'X-A'), value: text });

const request = fc
  .record({
    method: loosely(fc.constantFrom('GET', 'POST', 'get', 'PUT')),
    path: loosely(text),
    headers: fc.array(header, { maxLength: 3 }),
    questions: fc.array(fc.record({ name: text }), { maxLength: 2 }),
  })
  .map(defined);

const response = fc
  .record({
    status: loosely(fc.constantFrom(200, 204, 404, 500, 101)),
    grpcStatus: loosely(fc.integer({ min: 0, max: 16 })),
    headers: fc.array(header, { maxLength: 2 }),
  })
  .map(defined);

export const generatedEntry = fc
  .record({
    protocol: loosely(fc.constantFrom('http', 'http2', 'grpc', 'diameter', 'dns')),
    transport: loosely(fc.constantFrom('tcp', 'udp', 'sctp')),
    streamId: fc.nat(20),
    index: fc.nat(5),
    src: loosely(endpoint),
    dst: loosely(endpoint),
    timestampUs: loosely(fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constant(1.5e15))),
    elapsedUs: loosely(fc.nat(3_000_000)),
    request: fc.oneof(fc.constant(null), request),
    response: fc.oneof(fc.constant(null), response),
    requestSize: fc.nat(5000),
    responseSize: fc.nat(5000),
    flags: fc.subarray(['gap', 'no_response', 'reset']),
  })
  .map(defined);

export const STRING_FIELDS = [
  'protocol',
  'transport',
  'src.ip',
  'src.name',
  'src.namespace',
  'dst.ip',
  'dst.name',
  'dst.namespace',
  'request.method',
  'request.path',
  'streamKey',
  'node',
];
export const NUMBER_FIELDS = ['timestamp', 'elapsed', 'src.port', 'dst.port', 'response.status'];

const RESIDUAL = [
  'len(flags) > 0',
  'flags == "gap"',
  'request.headers["host"] != null',
  'request.headers["content-type"] == r"json"i',
  'response.grpcStatus == 0',
  'request.questions.name == "a"',
  'elapsed > seconds(1)',
  'endsWith(request.path, "/")',
  'requestSize > 100',
  'response.headers.name == "X-A"',
];

const REGEXES = ['r"^/api"', 'r"sock"', 'r"^$"', 'r"(?i)get"', 'r"\\d"', 'r"😀"', 'r"^."', 'r"a"i'];
const OPS = ['==', '!=', '<', '<=', '>', '>='];

const stringField = fc.constantFrom(...STRING_FIELDS);
const numberField = fc.constantFrom(...NUMBER_FIELDS);
const anyField = fc.constantFrom(...STRING_FIELDS, ...NUMBER_FIELDS, 'request', 'response', 'src', 'flags');
const op = fc.constantFrom(...OPS);
const stringLiteral = text.map((s) => JSON.stringify(s));
const numberLiteral = finiteNumber.map((n) => String(n));

const atom = fc.oneof(
  fc.tuple(stringField, op, stringLiteral).map(([f, o, v]) => `${f} ${o} ${v}`),
  fc.tuple(numberField, op, numberLiteral).map(([f, o, v]) => `${f} ${o} ${v}`),
  fc.tuple(numberLiteral, op, numberField).map(([v, o, f]) => `${v} ${o} ${f}`),
  fc.tuple(anyField, fc.constantFrom('==', '!=')).map(([f, o]) => `${f} ${o} null`),
  fc.constantFrom('http', 'http2', 'grpc', 'diameter', 'dns', 'tcp', 'udp', 'sctp', 'true', 'false'),
  fc
    .tuple(fc.constantFrom('startsWith', 'endsWith', 'contains'), stringField, stringLiteral)
    .map(([fn, f, v]) => `${fn}(${f}, ${v})`),
  fc
    .tuple(stringField, fc.constantFrom('==', '!='), fc.constantFrom(...REGEXES))
    .map(([f, o, r]) => `${f} ${o} ${r}`),
  fc.tuple(stringField, fc.constantFrom('==', '!='), stringField).map(([a, o, b]) => `${a} ${o} ${b}`),
  fc.tuple(numberField, op, numberField).map(([a, o, b]) => `${a} ${o} ${b}`),
  fc.constantFrom(...RESIDUAL),
);

/** Random well-formed queries: atoms joined by and/or/not, a few levels deep. */
export const query: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    tie('q').map((q) => `not (${q})`),
    fc
      .tuple(tie('q'), fc.constantFrom(' and ', ' or ', ' && ', ' || '), tie('q'))
      .map(([a, j, b]) => `(${a})${j}(${b})`),
  ),
})).q;
