import { formatAddressPattern, maskTo, type AddressPattern } from './address.js';

/**
 * Values keyed by address patterns (address or CIDR, optional port), looked up by longest
 * prefix. At equal prefix length a pattern naming the port beats one for any port. Each
 * family keeps the prefix lengths in use, longest first, so a lookup tries only those
 * (usually two or three) instead of all 33 or 129.
 */
export class PrefixTable<V> {
  private readonly values = new Map<string, V>();
  private readonly lengths: Record<4 | 16, number[]> = { 4: [], 16: [] };

  get size(): number {
    return this.values.size;
  }

  set(pattern: AddressPattern, value: V): void {
    const lengths = this.lengths[familyOf(pattern.bytes)];
    if (!lengths.includes(pattern.prefixLen)) {
      lengths.push(pattern.prefixLen);
      lengths.sort((a, b) => b - a);
    }
    this.values.set(formatAddressPattern(pattern), value);
  }

  get(pattern: AddressPattern): V | undefined {
    return this.values.get(formatAddressPattern(pattern));
  }

  /** The value of the longest matching pattern that `pick` accepts (returns non-undefined for). */
  lookupWith<R>(
    addr: Uint8Array,
    port: number | undefined,
    pick: (value: V) => R | undefined,
  ): R | undefined {
    const family = familyOf(addr);
    if (addr.length !== family) return undefined;
    for (const prefixLen of this.lengths[family]) {
      const bytes = maskTo(addr.slice(), prefixLen);
      const ports = port === undefined ? [undefined] : [port, undefined];
      for (const p of ports) {
        const value = this.values.get(formatAddressPattern({ bytes, prefixLen, port: p }));
        const picked = value === undefined ? undefined : pick(value);
        if (picked !== undefined) return picked;
      }
    }
    return undefined;
  }

  lookup(addr: Uint8Array, port?: number): V | undefined {
    return this.lookupWith(addr, port, identity);
  }

  /** Every [canonical pattern text, value]. */
  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }
}

function identity<V>(value: V): V {
  return value;
}

function familyOf(bytes: Uint8Array): 4 | 16 {
  return bytes.length === 4 ? 4 : 16;
}
