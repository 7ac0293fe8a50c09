import { CodeTable } from './code-table.js';
import {
  MAX_REGISTRY_KEY,
  registryCode,
  type LayerDecoder,
  type NextLayer,
  type RegistryName,
} from './layer.js';

/**
 * Next-layer dispatch tables (link type → decoder, ethertype → decoder, IP protocol →
 * decoder, UDP port → decoder). Layer modules register themselves in src/decode/index.ts so
 * that no decoder imports its neighbours and new protocols plug in without growing a switch.
 */
export class DecoderRegistry {
  /** Decoders by registryCode (registry and key in one number). */
  private readonly decoders = new CodeTable<LayerDecoder>();

  register(registry: RegistryName, key: number, decoder: LayerDecoder): void {
    if (!Number.isInteger(key) || key < 0 || key > MAX_REGISTRY_KEY) {
      throw new RangeError(`registry key ${key} of ${registry} is not a 16-bit number`);
    }
    this.decoders.set(registryCode(registry, key), decoder);
  }

  lookup(next: NextLayer): LayerDecoder | undefined {
    const decoders = this.decoders;
    return decoders.get(next.code) ?? (next.altCode < 0 ? undefined : decoders.get(next.altCode));
  }
}
