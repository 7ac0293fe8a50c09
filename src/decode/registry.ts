import type { LayerDecoder, NextLayer, RegistryName } from './layer.js';

/**
 * Next-layer dispatch tables (link type → decoder, ethertype → decoder, IP protocol →
 * decoder, UDP port → decoder). Layer modules register themselves in src/decode/index.ts so
 * that no decoder imports its neighbours and new protocols plug in without growing a switch.
 */
export class DecoderRegistry {
  private readonly tables = new Map<RegistryName, Map<number, LayerDecoder>>();

  register(registry: RegistryName, key: number, decoder: LayerDecoder): void {
    let table = this.tables.get(registry);
    if (!table) {
      table = new Map();
      this.tables.set(registry, table);
    }
    table.set(key, decoder);
  }

  lookup(next: NextLayer): LayerDecoder | undefined {
    const table = this.tables.get(next.registry);
    if (!table) return undefined;
    return table.get(next.key) ?? (next.altKey === undefined ? undefined : table.get(next.altKey));
  }
}
