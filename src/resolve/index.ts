/** Name resolution: addresses to pod/service names, now (resolvers) and over time (the name history). */
export {
  RESOLVE_ERROR_CODES,
  formatAddressPattern,
  formatIp,
  parseAddressPattern,
  parseIp,
  type AddressPattern,
} from './address.js';
export { fillEntryNames, refreshNames } from './entry-names.js';
export {
  NameHistory,
  NAME_HISTORY_FILE,
  NAME_HISTORY_JOURNAL,
  type NameChange,
  type NameHistoryDocument,
} from './history.js';
export { InventoryResolver } from './inventory.js';
export { NetnsResolver, runCommand, type CommandRunner, type NetnsResolverOptions } from './netns.js';
export { PrefixTable } from './prefix-table.js';
export type { BindingSource, NameBinding, NameResolver, ResolvedName } from './types.js';
