import { runCommand } from '../resolve/netns.js';
import { MeshtapError } from '../util/errors.js';
import type { MirrorSource } from './types.js';

/** Where a mirror source is captured, and the hardware address that tells its sent frames from its received ones. */
export interface SourceLink {
  netns: string | null;
  iface: string;
  /** The interface's MAC: a frame from it was sent by the source (outbound), any other was received (inbound). */
  mac: Uint8Array;
}

interface IpLink {
  ifname: string;
  link_type?: string;
  address?: string;
  flags?: string[];
}

/** How a source is named in logs, counters and `show run` (`netns:a/eth0`, `interface:eth1`). */
export function sourceLabel(source: MirrorSource): string {
  if (source.kind === 'interface') return `interface:${source.interface}`;
  return source.interface === undefined
    ? `netns:${source.netns}`
    : `netns:${source.netns}/${source.interface}`;
}

/**
 * Finds the interface a source is captured on (`ip -j link show`, run with an argument vector):
 * the named one, or for a namespace without a name its first Ethernet interface that is up.
 */
export async function resolveSourceLink(source: MirrorSource): Promise<SourceLink> {
  const netns = source.kind === 'netns' ? source.netns : null;
  const argv = netns === null ? ['-j', 'link', 'show'] : ['-n', netns, '-j', 'link', 'show'];
  let links: IpLink[];
  try {
    links = JSON.parse(await runCommand('ip', argv)) as IpLink[];
  } catch (err) {
    throw new MeshtapError(
      'MIRROR_SOURCE_UNAVAILABLE',
      `cannot list the interfaces of ${sourceLabel(source)}: ${(err as Error).message}`,
    );
  }
  const wanted = source.interface;
  const link =
    wanted !== undefined
      ? links.find((l) => l.ifname === wanted)
      : links.find((l) => l.link_type === 'ether' && (l.flags ?? []).includes('UP'));
  if (link === undefined) {
    throw new MeshtapError(
      'MIRROR_SOURCE_UNAVAILABLE',
      wanted === undefined
        ? `${sourceLabel(source)} has no Ethernet interface that is up`
        : `${sourceLabel(source)}: no interface ${wanted}`,
    );
  }
  return { netns, iface: link.ifname, mac: parseMac(link.address ?? '') };
}

function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  const mac = new Uint8Array(6);
  if (parts.length !== 6) return mac;
  for (let i = 0; i < 6; i++) mac[i] = Number.parseInt(parts[i]!, 16) || 0;
  return mac;
}
