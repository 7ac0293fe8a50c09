import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UsageError } from '../util/errors.js';
import { REPLAY_ERROR_CODES as E, socketError } from './errors.js';

/** Where replays go: only ever what the user named, never the capture's addresses. */
export interface ReplayTarget {
  host: string;
  port: number;
}

/** A target with its address looked up once, so N runs do not make N DNS queries. */
export interface ResolvedTarget extends ReplayTarget {
  address: string;
  family: 4 | 6;
}

/** `HOST:PORT`, `[IPV6]:PORT`; the port 1..65535. */
export function parseTarget(text: string): ReplayTarget {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || port < 1 || port > 65535 || (m?.[1] !== undefined && isIP(host) !== 6)) {
    throw new UsageError(E.BAD_TARGET, `--to takes HOST:PORT (IPv6 as [ADDR]:PORT), not "${text}"`);
  }
  return { host, port };
}

export async function resolveTarget(target: ReplayTarget): Promise<ResolvedTarget> {
  const literal = isIP(target.host);
  if (literal !== 0) return { ...target, address: target.host, family: literal as 4 | 6 };
  try {
    const found = await lookup(target.host);
    return { ...target, address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    throw socketError(err, `resolving ${target.host}`);
  }
}
