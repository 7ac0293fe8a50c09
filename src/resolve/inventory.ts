import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MeshtapError } from '../util/errors.js';
import { formatAddressPattern, parseAddressPattern, parseIp, RESOLVE_ERROR_CODES as E } from './address.js';
import { PrefixTable } from './prefix-table.js';
import type { BindingSource, NameBinding, NameResolver, ResolvedName } from './types.js';

/**
 * Names from an inventory file (YAML or JSON, YAML being a superset): a mapping from address
 * patterns to names, e.g.
 *
 *     10.0.0.0/24:        { name: front-end, namespace: sock-shop }
 *     "10.0.0.7:8080":    { name: catalogue, namespace: sock-shop }
 *     "[fd00::/64]:443":  { name: gateway,   namespace: edge }
 *
 * The longest matching prefix wins; at equal length a pattern with the port wins. Names do
 * not change with time: the inventory describes the present.
 */
export class InventoryResolver implements NameResolver, BindingSource {
  readonly source: string;

  private constructor(
    private readonly table: PrefixTable<ResolvedName>,
    source: string,
  ) {
    this.source = source;
  }

  /** Parses inventory text (YAML or JSON). Throws RESOLVE_BAD_INVENTORY / RESOLVE_BAD_ADDRESS. */
  static fromText(text: string, source = 'inventory'): InventoryResolver {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw badInventory(`not YAML or JSON: ${(err as Error).message}`);
    }
    return new InventoryResolver(tableOf(doc ?? {}), source);
  }

  static fromFile(path: string, source = 'inventory'): InventoryResolver {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw badInventory(`cannot read ${path}: ${(err as Error).message}`);
    }
    return InventoryResolver.fromText(text, source);
  }

  resolve(ip: string, port: number | undefined): ResolvedName | undefined {
    const bytes = parseIp(ip);
    return bytes === null ? undefined : this.table.lookup(bytes, port);
  }

  async list(): Promise<NameBinding[]> {
    return [...this.table.entries()].map(([address, v]) => ({ address, ...v }));
  }
}

function badInventory(why: string): MeshtapError {
  return new MeshtapError(E.RESOLVE_BAD_INVENTORY, `inventory: ${why}`);
}

function tableOf(doc: unknown): PrefixTable<ResolvedName> {
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw badInventory('expected a mapping of addresses to names');
  const table = new PrefixTable<ResolvedName>();
  for (const [address, value] of Object.entries(doc as Record<string, unknown>)) {
    const pattern = parseAddressPattern(address);
    table.set(pattern, nameOf(formatAddressPattern(pattern), value));
  }
  return table;
}

function nameOf(address: string, value: unknown): ResolvedName {
  const v = value as Partial<ResolvedName> | null;
  if (typeof v !== 'object' || v === null || typeof v.name !== 'string' || v.name === '')
    throw badInventory(`${address}: expected { name, namespace }`);
  if (v.namespace !== undefined && typeof v.namespace !== 'string')
    throw badInventory(`${address}: namespace must be a string`);
  return { name: v.name, namespace: v.namespace ?? '' };
}
