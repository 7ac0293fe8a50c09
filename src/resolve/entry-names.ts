import type { Endpoint, EntryDraft } from '../dissect/entry.js';
import type { NameHistory } from './history.js';
import type { BindingSource, NameResolver } from './types.js';

/** Fills an entry's src/dst names (where still unnamed) with what `resolver` says was true at the entry's time. */
export function fillEntryNames(
  entry: Pick<EntryDraft, 'src' | 'dst' | 'timestampUs'>,
  resolver: NameResolver,
): void {
  fillEndpoint(entry.src, resolver, entry.timestampUs);
  fillEndpoint(entry.dst, resolver, entry.timestampUs);
}

function fillEndpoint(ep: Endpoint, resolver: NameResolver, tUs: number): void {
  if (ep.name !== undefined) return;
  const found = resolver.resolve(ep.ip, ep.port, tUs);
  if (found === undefined) return;
  ep.name = found.name;
  ep.namespace = found.namespace;
}

/**
 * Asks every source for its present bindings and records what changed at `tUs` (wall-clock
 * µs for a live capture; 0 when the names should hold for all recorded time, e.g. an
 * inventory given for an old capture file). Returns the number of changes recorded.
 */
export async function refreshNames(
  history: NameHistory,
  sources: readonly BindingSource[],
  tUs: number,
): Promise<number> {
  let changes = 0;
  for (const source of sources) changes += history.sync(source.source, await source.list(), tUs);
  return changes;
}
