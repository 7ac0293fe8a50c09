import { PROTOCOL_ROWS, SERVICE_ROWS } from './services-table.js';
import { ETH, IPPROTO, ISO, LLCSAP } from './consts.js';

const SERVICES = new Map(SERVICE_ROWS.map(([name, tcp, udp]) => [name, { tcp, udp }]));
const PROTOCOLS = new Map(PROTOCOL_ROWS);
const ETHER_PROTOS: ReadonlyMap<string, number> = new Map([
  ['aarp', ETH.AARP],
  ['arp', ETH.ARP],
  ['atalk', ETH.ATALK],
  ['decnet', ETH.DN],
  ['ip', ETH.IP],
  ['ip6', ETH.IPV6],
  ['lat', ETH.LAT],
  ['loopback', ETH.LOOPBACK],
  ['mopdl', ETH.MOPDL],
  ['moprc', ETH.MOPRC],
  ['rarp', ETH.REVARP],
  ['sca', ETH.SCA],
]);
const LLC_PROTOS: ReadonlyMap<string, number> = new Map([
  ['iso', LLCSAP.ISONS],
  ['stp', LLCSAP.STP],
  ['ipx', LLCSAP.IPX],
  ['netbeui', LLCSAP.NETBEUI],
]);

/** A resolved service: port and IP protocol (undefined = both TCP and UDP, same number). */
export interface ServicePort {
  port: number;
  proto: number | undefined;
}

/** libpcap pcap_nametoport over the built-in services table. */
export function lookupPort(name: string): ServicePort | undefined {
  const e = SERVICES.get(name);
  if (!e) return undefined;
  if (e.tcp >= 0) return { port: e.tcp, proto: e.udp === e.tcp ? undefined : IPPROTO.TCP };
  if (e.udp >= 0) return { port: e.udp, proto: IPPROTO.UDP };
  return undefined;
}

/** libpcap pcap_nametoportrange: "N-M" numerically, else "name-name". */
export function lookupPortRange(
  text: string,
): { lo: number; hi: number; proto: number | undefined } | undefined {
  const m = /^\s*([+-]?\d+)-\s*([+-]?\d+)/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]), proto: undefined };
  const dash = text.indexOf('-');
  if (dash < 0) return undefined;
  const a = lookupPort(text.slice(0, dash));
  const b = a && lookupPort(text.slice(dash + 1));
  if (!a || !b) return undefined;
  return { lo: a.port, hi: b.port, proto: a.proto === b.proto ? b.proto : undefined };
}

/** libpcap lookup_proto: protocol names for `proto`/`protochain` under a qualifier. */
export function lookupProtoName(name: string, qual: string): { value?: number; error?: string } {
  switch (qual) {
    case 'default':
    case 'ip':
    case 'ip6': {
      const v = PROTOCOLS.get(name);
      return v === undefined ? { error: `unknown ip proto '${name}'` } : { value: v };
    }
    case 'link': {
      const v = ETHER_PROTOS.get(name) ?? LLC_PROTOS.get(name);
      return v === undefined ? { error: `unknown ether proto '${name}'` } : { value: v };
    }
    case 'iso': {
      const v = ({ esis: ISO.ESIS, isis: ISO.ISIS, clnp: ISO.CLNP } as Record<string, number>)[name];
      return v === undefined ? { error: `unknown osi proto '${name}'` } : { value: v };
    }
    default:
      return { error: `unknown protocol: ${name}` };
  }
}
