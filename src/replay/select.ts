import { isIP } from 'node:net';
import type { Endpoint } from '../dissect/entry.js';
import type { StreamContext } from '../dissect/types.js';
import { UsageError } from '../util/errors.js';
import { REPLAY_ERROR_CODES as E } from './errors.js';

export interface EndpointSpec {
  ip: string;
  port: number;
}

/**
 * Which stream of a capture to replay. Every given field must match; with none, the first
 * TCP or UDP stream that carries payload is taken (a stream-store file holds only one).
 */
export interface StreamSelector {
  /** The flow-table id: the `streamId` that `meshtap entries` prints for the stream. */
  streamId?: number;
  transport?: 'tcp' | 'udp';
  /** The two endpoints, in either order (either may be the client). */
  endpoints?: [EndpointSpec, EndpointSpec];
}

/** True when a new stream is the one the selector names. */
export function selectorMatches(sel: StreamSelector, ctx: StreamContext): boolean {
  if (ctx.transport !== 'tcp' && ctx.transport !== 'udp') return false;
  if (sel.streamId !== undefined && sel.streamId !== ctx.streamId) return false;
  if (sel.transport !== undefined && sel.transport !== ctx.transport) return false;
  if (sel.endpoints === undefined) return true;
  const [a, b] = sel.endpoints;
  const { client, server } = ctx;
  return (same(a, client) && same(b, server)) || (same(a, server) && same(b, client));
}

function same(spec: EndpointSpec, endpoint: Endpoint): boolean {
  return spec.port === endpoint.port && canonicalIp(spec.ip) === canonicalIp(endpoint.ip);
}

/** One spelling per address, so `2001:DB8:0::1` names the stream meshtap shows as `2001:db8::1`. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/**
 * `[PROTO] ADDR:PORT ADDR:PORT` (spaces or commas between; IPv6 in brackets), e.g.
 * `tcp 10.0.0.1:51000 10.0.0.2:80` or `[2001:db8::1]:5353,[2001:db8::2]:53`.
 */
export function parseTupleSelector(text: string): StreamSelector {
  const words = text
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  const transport = words[0] === 'tcp' || words[0] === 'udp' ? words.shift() : undefined;
  if (words.length !== 2) throw badTuple(text);
  const endpoints = words.map((w) => parseEndpoint(w, text)) as [EndpointSpec, EndpointSpec];
  return transport === undefined ? { endpoints } : { endpoints, transport: transport as 'tcp' | 'udp' };
}

/** `ADDR:PORT` or `[V6ADDR]:PORT` with a literal address. */
function parseEndpoint(word: string, whole: string): EndpointSpec {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(word);
  const ip = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (ip === undefined || isIP(ip) === 0 || port > 65535) throw badTuple(whole);
  return { ip, port };
}

function badTuple(text: string): UsageError {
  return new UsageError(
    E.BAD_SELECTOR,
    `stream tuple must be "[tcp|udp] ADDR:PORT ADDR:PORT" (IPv6 as [ADDR]:PORT), not "${text}"`,
  );
}
