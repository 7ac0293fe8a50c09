import { MAX_REGISTRY_KEY } from './layer.js';

const KEYS = MAX_REGISTRY_KEY + 1;

/**
 * A table indexed by registry code (registryCode: a registry and a 16-bit key in one
 * number), for the lookups every layer of every packet makes: which decoder, which graph
 * node. One array of 65,536 slots per registry that holds anything, filled when it is
 * made: a Map lookup cost ~100 instructions per layer, and writing one slot of an empty
 * array at a large index turns its elements into a dictionary, slower still.
 */
export class CodeTable<T> {
  private readonly registries: (T[] | undefined)[] = [];

  get(code: number): T | undefined {
    // The mask is MAX_REGISTRY_KEY written out: an imported constant is a load and a check
    // for its initialisation at every use, and this runs several times a layer.
    return this.registries[code >>> 16]?.[code & 0xffff];
  }

  set(code: number, value: T): void {
    const registry = code >>> 16;
    let keys = this.registries[registry];
    if (keys === undefined) {
      while (this.registries.length <= registry) this.registries.push(undefined);
      keys = new Array<T | undefined>(KEYS).fill(undefined) as T[];
      this.registries[registry] = keys;
    }
    keys[code & MAX_REGISTRY_KEY] = value;
  }
}
