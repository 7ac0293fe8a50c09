import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js';

/** RFC 7541 §4.1: every entry costs its name and value octets plus 32. */
export const ENTRY_OVERHEAD = 32;

/**
 * The HPACK dynamic table of one direction (RFC 7541 §2.3.2, §4). Entries are appended in
 * insertion order and evicted from the oldest end. A name can be `null` when the encoder indexed
 * a name we could not resolve (capture started mid-connection): the entry still occupies its
 * slot, so the indices of everything newer stay right.
 */
export class DynamicTable {
  private names: Array<string | null> = [];
  private values: string[] = [];
  private nameOctets: number[] = [];
  private sizes: number[] = [];
  private first = 0;
  private used = 0;
  private limit: number;

  /** `hardCap` bounds memory whatever the peer announces; a smaller table only makes old references undecodable. */
  constructor(
    maxSize: number,
    private readonly hardCap: number,
  ) {
    this.limit = Math.min(maxSize, hardCap);
  }

  get length(): number {
    return this.names.length - this.first;
  }

  get size(): number {
    return this.used;
  }

  setMaxSize(maxSize: number): void {
    this.limit = Math.min(maxSize, this.hardCap);
    this.evictTo(this.limit);
  }

  clear(): void {
    this.evictTo(0);
  }

  add(name: string | null, nameOctets: number, value: string, valueOctets: number): void {
    const size = nameOctets + valueOctets + ENTRY_OVERHEAD;
    // §4.4: an entry larger than the table empties it and is not added.
    this.evictTo(Math.max(0, this.limit - size));
    if (size > this.limit) return;
    this.names.push(name);
    this.values.push(value);
    this.nameOctets.push(nameOctets);
    this.sizes.push(size);
    this.used += size;
  }

  /** Name at HPACK index (1-based over static then dynamic); undefined when out of range, null when unknown. */
  name(index: number): string | null | undefined {
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1]?.[0];
    const at = this.position(index);
    return at < 0 ? undefined : this.names[at];
  }

  nameLength(index: number): number {
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1][0].length;
    return this.nameOctets[this.position(index)];
  }

  value(index: number): string {
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1][1];
    return this.values[this.position(index)];
  }

  private position(index: number): number {
    const fromNewest = index - STATIC_TABLE_LENGTH - 1;
    if (fromNewest < 0 || fromNewest >= this.length) return -1;
    return this.names.length - 1 - fromNewest;
  }

  private evictTo(target: number): void {
    while (this.used > target && this.first < this.names.length) {
      this.used -= this.sizes[this.first];
      this.first++;
    }
    if (this.first > 64 && this.first * 2 > this.names.length) this.compact();
  }

  private compact(): void {
    this.names = this.names.slice(this.first);
    this.values = this.values.slice(this.first);
    this.nameOctets = this.nameOctets.slice(this.first);
    this.sizes = this.sizes.slice(this.first);
    this.first = 0;
  }
}
