/**
 * The flags of an exchange's request, its answer and its pairing, each named once, in the
 * order they first appear. A loop rather than a Set spread from spread arrays: it runs for
 * every entry, and the lists are short (usually empty).
 */
export function uniqueFlags(...lists: ReadonlyArray<readonly string[]>): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const flag of list) if (!out.includes(flag)) out.push(flag);
  }
  return out;
}
