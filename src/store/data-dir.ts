import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The data directory: $MESHTAP_DATA, else ~/.meshtap. Its own module so that every CLI
 * command can name the default without loading the store.
 */
export function defaultDataDir(): string {
  return process.env.MESHTAP_DATA ?? join(homedir(), '.meshtap');
}
