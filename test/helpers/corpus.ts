import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared test corpus lives beside the project checkout (../shared/corpus). */
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_DIR = process.env.MESHTAP_CORPUS ?? resolve(projectRoot, '..', 'shared', 'corpus');
export const PCAP_DIR = join(CORPUS_DIR, 'pcaps');
export const FILTER_DIR = join(CORPUS_DIR, 'filters');

export function corpusPcap(name: string): string {
  return join(PCAP_DIR, name);
}

/** Every capture file of the corpus (pcap and pcapng), sorted by name. */
export function corpusCaptures(): string[] {
  if (!existsSync(PCAP_DIR)) throw new Error(`test corpus not found at ${PCAP_DIR}`);
  return readdirSync(PCAP_DIR)
    .filter((n) => n.endsWith('.pcap') || n.endsWith('.pcapng'))
    .sort()
    .map((n) => join(PCAP_DIR, n));
}
