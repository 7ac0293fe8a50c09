import type { OverlapPolicy } from './types.js';

/**
 * Decides, for bytes covered both by a fragment already held (the "owner" of those bytes) and by
 * a newly arrived one, whether the new fragment's bytes replace the owner's. Both extents are the
 * fragments' original [start, end) as sent, not what survived earlier overlaps: that is how the
 * target-based literature (Novak's test patterns, Snort frag3, Suricata defrag) states the rules.
 * `rfc5722` never replaces: the caller drops the datagram before asking.
 */
export function newFragmentWins(
  policy: OverlapPolicy,
  newStart: number,
  newEnd: number,
  ownerStart: number,
  ownerEnd: number,
): boolean {
  switch (policy) {
    case 'linux':
      return newStart <= ownerStart;
    case 'bsd':
      return newStart < ownerStart;
    case 'last':
      return true;
    case 'windows':
      return newStart < ownerStart && newEnd > ownerEnd;
    case 'solaris':
      return newStart < ownerStart && newEnd >= ownerEnd;
    case 'first':
    case 'rfc5722':
      return false;
  }
}
