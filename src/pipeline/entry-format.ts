import type { Entry } from '../dissect/entry.js';
import { formatTimeUs } from '../util/iso-time.js';

/**
 * How entries are shown: one line each for the table (protocol-specific summary), and
 * HAR 1.2 for HTTP-family entries so browser developer tools can import them.
 */

type Obj = Record<string, unknown>;

function field(part: Obj | null, key: string): unknown {
  return part === null ? undefined : part[key];
}

/** "GET /path", "CCR Credit-Control-Request", "A? example.com" ... */
export function entrySummary(entry: Entry): string {
  const req = entry.request;
  const res = entry.response;
  switch (entry.protocol) {
    case 'http':
    case 'http2':
      return `${field(req, 'method') ?? '?'} ${field(req, 'path') ?? ''}`;
    case 'grpc':
      return `${field(req, 'path') ?? `/${field(req, 'service')}/${field(req, 'method')}`}`;
    case 'diameter':
      return `${field(req ?? res, 'commandAbbrev') ?? ''} ${field(req ?? res, 'command') ?? ''}`.trim();
    case 'dns': {
      const questions = (field(req ?? res, 'questions') as Array<{ name: string; typeName: string }>) ?? [];
      let text = '';
      for (let i = 0; i < questions.length; i++) {
        text += `${i === 0 ? '' : ', '}${questions[i].typeName}? ${questions[i].name}`;
      }
      return text;
    }
  }
}

/** "200", "grpc 0", "2001", "NOERROR 2 answers" ... */
export function entryOutcome(entry: Entry): string {
  const res = entry.response;
  if (res === null) return '-';
  switch (entry.protocol) {
    case 'http':
    case 'http2':
      return String(res.status ?? '-');
    case 'grpc':
      return `grpc ${res.grpcStatus ?? '-'}`;
    case 'diameter':
      return String(res.resultCode ?? '-');
    case 'dns': {
      const answers = (res.answers as unknown[] | undefined)?.length ?? 0;
      return `rcode ${res.rcode ?? '-'}, ${answers} answers`;
    }
  }
}

function endpointText(e: Entry['src']): string {
  const host = e.name
    ? `${e.name}${e.namespace ? `.${e.namespace}` : ''}`
    : e.ip.includes(':')
      ? `[${e.ip}]`
      : e.ip;
  return `${host}:${e.port}`;
}

export const TABLE_HEADER = ['TIME', 'PROTO', 'SOURCE', 'DESTINATION', 'REQUEST', 'RESPONSE', 'ELAPSED'].join(
  '\t',
);

/**
 * Whole microseconds as milliseconds with three decimals (what `(us / 1000).toFixed(3)`
 * gives), by integer arithmetic: toFixed is a call into the runtime, ~1,000 instructions a line.
 */
function millisecondsText(us: number): string {
  // Capture times are whole microseconds; a stored entry from elsewhere may not be.
  if (!Number.isInteger(us)) return (us / 1000).toFixed(3);
  const abs = Math.abs(us);
  const fraction = abs % 1000;
  return `${us < 0 ? '-' : ''}${(abs - fraction) / 1000}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`;
}

/**
 * One table line, built by concatenation: joining an array of the seven columns went through
 * the generic Array.prototype.join and a runtime call, ~3,000 instructions a line, several
 * times the cost of the columns themselves.
 */
export function entryTableRow(entry: Entry): string {
  const elapsed = entry.elapsedUs === null ? '-' : `${millisecondsText(entry.elapsedUs)}ms`;
  const flags = entry.flags.length > 0 ? ` [${entry.flags.join(',')}]` : '';
  return (
    `${formatTimeUs(entry.timestampUs)}\t${entry.protocol}\t${endpointText(entry.src)}\t` +
    `${endpointText(entry.dst)}\t${entrySummary(entry)}\t${entryOutcome(entry)}${flags}\t${elapsed}`
  );
}

const HAR_PROTOCOLS = new Set(['http', 'http2', 'grpc']);

export function isHarEntry(entry: Entry): boolean {
  return HAR_PROTOCOLS.has(entry.protocol);
}

interface NameValue {
  name: string;
  value: string;
}

/** One HAR 1.2 `entries[]` item. Unknown values are -1 as the HAR spec asks. */
export function entryToHar(entry: Entry): Obj {
  const req = entry.request ?? {};
  const res = entry.response ?? {};
  const reqBody = (req.body ?? null) as Obj | null;
  const resBody = (res.body ?? null) as Obj | null;
  const elapsedMs = entry.elapsedUs === null ? -1 : entry.elapsedUs / 1000;
  const httpVersion = String(req.httpVersion ?? (entry.protocol === 'http' ? 'HTTP/1.1' : 'HTTP/2'));
  return {
    startedDateTime: new Date(Math.floor(entry.timestampUs / 1000)).toISOString(),
    time: elapsedMs,
    request: {
      method: String(req.method ?? req.httpMethod ?? 'POST'),
      url: String(req.url ?? `http://${entry.dst.ip}:${entry.dst.port}${req.path ?? '/'}`),
      httpVersion,
      cookies: [],
      headers: (req.headers as NameValue[] | undefined) ?? [],
      queryString: (req.queryString as NameValue[] | undefined) ?? [],
      ...(reqBody
        ? { postData: { mimeType: String(reqBody.mimeType ?? ''), text: String(reqBody.text ?? '') } }
        : {}),
      headersSize: -1,
      bodySize: reqBody ? Number(reqBody.size ?? -1) : 0,
    },
    response: {
      status: Number(res.status ?? 0),
      statusText: String(res.statusText ?? ''),
      httpVersion: String(res.httpVersion ?? httpVersion),
      cookies: [],
      headers: (res.headers as NameValue[] | undefined) ?? [],
      content: {
        size: resBody ? Number(resBody.decodedSize ?? resBody.size ?? 0) : 0,
        mimeType: String(resBody?.mimeType ?? ''),
        ...(resBody?.text !== undefined ? { text: String(resBody.text) } : {}),
        ...(resBody?.encoding === 'base64' ? { encoding: 'base64' } : {}),
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: resBody ? Number(resBody.size ?? -1) : -1,
    },
    cache: {},
    timings: { send: 0, wait: elapsedMs, receive: 0 },
    serverIPAddress: entry.dst.ip,
    connection: String(entry.streamId),
    comment: entry.protocol === 'grpc' ? 'gRPC' : '',
  };
}
