import { startTap, type Tap } from '../../src/hub/tap.js';

/** A hub on loopback (any free port) serving one capture file into a new store in `dataDir`, fully ingested. */
export async function startCaptureTap(dataDir: string, capture: string): Promise<Tap> {
  const tap = await startTap({
    dataDir,
    node: 'node-a',
    host: '127.0.0.1',
    port: 0,
    source: { kind: 'pcap', path: capture },
    logger: false,
  });
  await tap.sourceDone;
  return tap;
}
