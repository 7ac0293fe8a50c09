/**
 * The contract every protocol decoder in src/decode/ follows (after gopacket's `layers/`):
 * a decoder takes the packet bytes, the offset where its header starts and the end of the
 * valid bytes, and returns one typed layer. The packet may lie inside a larger buffer (a
 * capture reader's window) from `base` on: offsets, the decoder's arguments and the layer's
 * fields alike, count from the packet's first byte, and the byte at `offset` is
 * `data[base + offset]`. It never throws and never reads outside
 * [offset, end): short input gives `truncated: true`, nonsense gives a stable `anomaly` name
 * (`ipv4.bad_ihl`, `tcp.bad_data_offset`). Fields are numbers or views (subarrays) into the
 * input, never copies. A decoder does not know which layer comes before or after it: it
 * names the next layer as a key in a registry (`next`), and the packet decoder looks it up.
 */

/** The registries through which one layer hands over to the next. */
export type RegistryName = 'linktype' | 'ethertype' | 'ipproto' | 'udpport' | 'tcpport' | 'sctpport';

/** Shared between layers (see nextLayer), so never changed once made. */
export interface NextLayer {
  readonly registry: RegistryName;
  readonly key: number;
  /** A second key to try when `key` is not registered (e.g. UDP source port when the destination is unknown). */
  readonly altKey?: number;
  /** `registry` and `key` as one number (registryCode), the key dispatch tables use. */
  readonly code: number;
  /** The same for `altKey`; -1 when there is none. */
  readonly altCode: number;
}

/** Registry keys are 16-bit numbers (link types, ethertypes, IP protocols, ports). */
export const MAX_REGISTRY_KEY = 0xffff;

/** A registry as a decoder names it for the next layer: its name, and the registryCode of its key 0. */
export interface Registry {
  readonly name: RegistryName;
  readonly base: number;
}

/**
 * The registries by name. Decoders pass one of these objects, not the name: naming the next
 * layer happens once per layer of every packet, and turning a name into a code took a
 * string switch in a call of its own (the decoders are too large for the compiler to
 * inline it and fold the name), ~70 instructions a packet.
 */
export const REGISTRIES: { readonly [name in RegistryName]: Registry } = {
  linktype: { name: 'linktype', base: 0 },
  ethertype: { name: 'ethertype', base: 1 << 16 },
  ipproto: { name: 'ipproto', base: 2 << 16 },
  udpport: { name: 'udpport', base: 3 << 16 },
  tcpport: { name: 'tcpport', base: 4 << 16 },
  sctpport: { name: 'sctpport', base: 5 << 16 },
};

/** How many registry codes there are: a 16-bit key space for each registry. */
export const REGISTRY_CODES = Object.keys(REGISTRIES).length * (MAX_REGISTRY_KEY + 1);

/**
 * One small integer for a registry and a key. Dispatch looks up this number in one Map
 * instead of a registry name, then a key, in two: next-layer dispatch runs once per layer
 * of every packet.
 */
export function registryCode(registry: RegistryName, key: number): number {
  return REGISTRIES[registry].base + key;
}

export interface Layer {
  /** Layer name, e.g. 'ethernet', 'vlan', 'ipv4', 'ipv6', 'ipv6.fragment', 'tcp', 'udp', 'vxlan'. */
  readonly kind: string;
  /** Offset of the first header byte in the packet. */
  readonly offset: number;
  /** Bytes of header this layer occupies (as far as it could be read). */
  readonly headerLength: number;
  /** The bytes this layer carries for the next one: [payloadOffset, payloadEnd). */
  readonly payloadOffset: number;
  readonly payloadEnd: number;
  /** What comes next, or null when this is the last decodable layer. */
  readonly next: NextLayer | null;
  /** The input ended before the header (or the length the header claims) did. */
  readonly truncated: boolean;
  /** Stable name of what is wrong with this layer, or null. Format: `<kind>.<snake_case_reason>`. */
  readonly anomaly: string | null;
}

/**
 * A decoder for one layer kind. Pure: no state, no allocation beyond the returned layer.
 * `base` is where the packet starts in `data` (0 when omitted): the graph decodes packets
 * where the reader holds them, as a view of its own for every packet cost ~230
 * instructions.
 */
export type LayerDecoder = (data: Uint8Array, offset: number, end: number, base?: number) => Layer;
