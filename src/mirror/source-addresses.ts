/**
 * The addresses configured on a mirror source, read from iproute2's JSON output (`ip -j addr
 * show`, `ip -n NS -j addr show`) run with an argument vector, never a shell. Used to refuse
 * a session whose destination is one of its own sources.
 */
import { runCommand, type CommandRunner } from '../resolve/netns.js';
import { MeshtapError } from '../util/errors.js';
import type { MirrorSource } from './types.js';
import { MIRROR_CODES as C } from './validate.js';
import type { AddressLookup } from './validate-session.js';

interface Link {
  ifname?: unknown;
  addr_info?: unknown;
}

interface AddrInfo {
  local?: unknown;
  scope?: unknown;
}

export interface HostAddressOptions {
  /** `ip` binary. */
  ipCommand?: string;
  run?: CommandRunner;
}

/**
 * The lookup of this host. An interface or namespace that does not exist (yet) has no
 * addresses: a session may name a pod's namespace before the pod runs. For a whole namespace
 * its host-scope addresses (its own loopback) are left out: nothing outside it can send there.
 */
export function hostAddressLookup(opts: HostAddressOptions = {}): AddressLookup {
  const ip = opts.ipCommand ?? 'ip';
  const run = opts.run ?? runCommand;
  const json = async (args: string[]): Promise<unknown[]> => {
    let text: string;
    try {
      text = await run(ip, args);
    } catch (err) {
      throw new MeshtapError(
        C.MIRROR_ADDRESS_LOOKUP_FAILED,
        `cannot read the addresses of the sources: ${(err as Error).message}`,
      );
    }
    return parseJsonArray(text, args.join(' '));
  };
  return async (source: MirrorSource): Promise<string[]> => {
    if (source.kind === 'interface')
      return addressesIn(await json(['-j', 'addr', 'show']), source.interface, true);
    const names = (await json(['-j', 'netns', 'list'])).map((n) => (n as { name?: unknown }).name);
    if (!names.includes(source.netns)) return [];
    const links = await json(['-n', source.netns, '-j', 'addr', 'show']);
    return addressesIn(links, source.interface, source.interface !== undefined);
  };
}

/** Addresses of the link named `ifname` (every link when undefined); host scope only when asked. */
function addressesIn(links: unknown[], ifname: string | undefined, withHostScope: boolean): string[] {
  const out: string[] = [];
  for (const link of links as Link[]) {
    if (ifname !== undefined && link.ifname !== ifname) continue;
    if (!Array.isArray(link.addr_info)) continue;
    for (const info of link.addr_info as AddrInfo[]) {
      if (typeof info.local !== 'string' || (!withHostScope && info.scope === 'host')) continue;
      out.push(info.local);
    }
  }
  return out;
}

function parseJsonArray(text: string, what: string): unknown[] {
  // With no namespace at all `ip -j netns list` prints nothing.
  const value = text.trim() === '' ? [] : jsonOrUndefined(text);
  if (Array.isArray(value)) return value;
  throw new MeshtapError(C.MIRROR_ADDRESS_LOOKUP_FAILED, `ip ${what}: output is not a JSON array`);
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
