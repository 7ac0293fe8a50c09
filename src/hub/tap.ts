import { basename, join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { CaptureTaskManager } from '../capture/task-manager.js';
import type { CaptureParams } from '../capture/tcpdump-params.js';
import { TcpdumpSource, type CaptureStats, type LiveCaptureSource } from '../capture/tcpdump-source.js';
import type { Entry } from '../dissect/entry.js';
import { CAPTURE_INPUT } from '../pipeline/read-graph.js';
import type { StoreGraph } from '../pipeline/store-node.js';
import { InventoryResolver, NetnsResolver } from '../resolve/index.js';
import type { BindingSource } from '../resolve/types.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { isSnapshotFile as isSnapshot } from '../snapshot/snapshot-file.js';
import type { IndexRow, StoredEntry } from '../store/entries-index.js';
import type { CaptureReader } from '../pcap/index.js';
import { Store } from '../store/store.js';
import { MeshtapError } from '../util/errors.js';
import { isLoopback, loadOrCreateToken } from './auth.js';
import { LiveFeed } from './live-feed.js';
import type { MetricFamily } from './routes/health.js';
import { entryRoutes } from './routes/entries.js';
import { mirrorRoutes } from './routes/mirror.js';
import { snapshotRoutes } from './routes/snapshots.js';
import type { LiveGraph } from './routes/graph.js';
import { MirrorConfig } from '../mirror/mirror-config.js';
import { MirrorRuntime } from '../mirror/mirror-runtime.js';
import { buildHub } from './server.js';

export type TapSource =
  { kind: 'live'; params: CaptureParams; netns?: string } | { kind: 'pcap'; path: string };

export interface TapOptions {
  dataDir: string;
  node?: string;
  host: string;
  port: number;
  /** Serve without an API token; refused unless `host` is a loopback address. */
  noAuth?: boolean;
  source: TapSource;
  /** Names: an inventory file, and/or the local network namespaces. */
  inventory?: string;
  netnsNames?: boolean;
  logger?: FastifyServerOptions['logger'];
}

export interface Tap {
  app: FastifyInstance;
  url: string;
  /** The API token, when it was created by this start (print it once), else null. */
  newToken: string | null;
  token: string | null;
  store: Store;
  /** Resolves when the source ends (a file fully read, or the live capture stopped). */
  sourceDone: Promise<void>;
  stop(): Promise<void>;
}

const NAME_REFRESH_MS = 5000;
/** How often the tap asks tcpdump for its kernel counters (a drop shows in /metrics up to this late). */
export const STATS_REFRESH_MS = 5000;

/**
 * `meshtap tap`: hub and local agent in one process. Packets from a live capture (or a
 * stored capture or snapshot) go through the store graph; entries are indexed, named and
 * pushed to live subscribers; the API serves them, the capture tasks and the graph.
 */
export async function startTap(opts: TapOptions): Promise<Tap> {
  if (opts.noAuth && !isLoopback(opts.host)) {
    throw new MeshtapError(
      'HUB_BAD_LISTEN',
      `--no-auth is only allowed on a loopback address, not ${opts.host}`,
    );
  }
  const dataDir = await dataDirFor(opts);
  const store = await Store.open({ dataDir, node: opts.node });
  const sources = nameSources(opts);
  const feed = new LiveFeed();
  const tasks = new CaptureTaskManager({ db: store.db, dir: join(dataDir, 'captures') });
  const tokenInfo = opts.noAuth ? null : loadOrCreateToken(dataDir);
  const state: TapState = { graph: null, entries: 0, stats: null };
  const mirrorConfig = new MirrorConfig(store.db);
  let mirror: MirrorRuntime | null = null;
  const app = await buildHub({
    token: tokenInfo?.token ?? null,
    tasks,
    graphs: () => liveGraphs(state, mirror),
    metrics: () => metrics(state, store, feed),
    routes: [
      (a) => entryRoutes(a, store, feed),
      (a) => mirrorRoutes(a, mirrorConfig, { counters: (id) => mirror?.counters(id) ?? null }),
      (a) => snapshotRoutes(a, store),
    ],
    logger: opts.logger,
  });
  mirror = new MirrorRuntime({ config: mirrorConfig, log: (m) => app.log.warn(m) });
  // Sessions left running by the last start run again.
  await mirror.reconcile();
  await store.learnNames(sources, opts.source.kind === 'pcap' ? 0 : undefined);

  const ingest = (source: string | CaptureReader): Promise<unknown> =>
    store.ingestFile(source, {
      onGraph: (g) => (state.graph = g),
      onStored: (rows, ids) => {
        state.entries += rows.length;
        if (feed.size > 0) feed.publish(rows.map((row, i) => storedEntry(row, ids[i])));
      },
    });
  let live: LiveCaptureSource | null = null;
  let sourceDone: Promise<void>;
  if (opts.source.kind === 'live') {
    live = new TcpdumpSource({ params: opts.source.params, netns: opts.source.netns });
    await live.start();
    sourceDone = runLive(live, store, state, sources, ingest);
  } else if (isSnapshot(opts.source.path)) {
    sourceDone = Promise.resolve();
  } else {
    sourceDone = ingest(opts.source.path).then(() => undefined);
  }
  const address = await app.listen({ host: opts.host, port: opts.port });
  return {
    app,
    url: address,
    newToken: tokenInfo?.created ? tokenInfo.token : null,
    token: tokenInfo?.token ?? null,
    store,
    sourceDone,
    async stop() {
      await mirror?.close();
      await live?.stop();
      await sourceDone.catch(() => undefined);
      await app.close();
      await tasks.close();
      store.close();
    },
  };
}

/** The capture graph and every mirror source's graph: what `show run` and `trace` cover. */
function liveGraphs(state: TapState, mirror: MirrorRuntime | null): LiveGraph[] {
  const main: LiveGraph[] = state.graph
    ? [{ label: 'meshtap_main', graph: state.graph.graph, inputNode: CAPTURE_INPUT }]
    : [];
  return [...main, ...(mirror?.graphs() ?? [])];
}

/** A snapshot is served from its own new directory under the data directory. */
async function dataDirFor(opts: TapOptions): Promise<string> {
  if (opts.source.kind !== 'pcap' || !isSnapshot(opts.source.path)) return opts.dataDir;
  const dir = join(
    opts.dataDir,
    'snapshots',
    `${basename(opts.source.path).replace(/[^A-Za-z0-9._-]/g, '_')}-${Date.now()}`,
  );
  (await openSnapshot(opts.source.path, dir)).store.close();
  return dir;
}

function nameSources(opts: TapOptions): BindingSource[] {
  const sources: BindingSource[] = [];
  if (opts.inventory) sources.push(InventoryResolver.fromFile(opts.inventory));
  if (opts.netnsNames) sources.push(new NetnsResolver());
  return sources;
}

/** The live loop: the capture goes through the store like a file; names and kernel counters are refreshed as it runs. */
async function runLive(
  source: LiveCaptureSource,
  store: Store,
  state: TapState,
  sources: readonly BindingSource[],
  ingest: (reader: CaptureReader) => Promise<unknown>,
): Promise<void> {
  const names = setInterval(() => void store.learnNames(sources), NAME_REFRESH_MS);
  const stats = setInterval(() => void source.stats().then((s) => (state.stats = s)), STATS_REFRESH_MS);
  try {
    await ingest(await source.reader());
  } finally {
    clearInterval(names);
    clearInterval(stats);
  }
}

/** An entry as the API returns it, for live subscribers: with its id, stream key and node. */
function storedEntry(row: IndexRow, id: number): StoredEntry {
  return { ...(row.entry as Entry), id: String(id), streamKey: row.streamKey, node: row.node };
}

interface TapState {
  graph: StoreGraph | null;
  entries: number;
  stats: CaptureStats | null;
}

function metrics(state: TapState, store: Store, feed: LiveFeed): MetricFamily[] {
  const g = state.graph?.graph;
  const perNode = (pick: (c: { calls: number; vectors: number }) => number) =>
    g ? g.nodes.map((n) => ({ labels: { node: n.name }, value: pick(g.counters(n.name)) })) : [];
  const one = (name: string, help: string, type: MetricFamily['type'], value: number): MetricFamily => ({
    name,
    help,
    type,
    samples: [{ value }],
  });
  const usage = store.usage();
  return [
    // Every captured packet enters the graph at its input node: its vector count is the packet count.
    one(
      'meshtap_packets_total',
      'Packets captured into the graph',
      'counter',
      g ? g.counters(CAPTURE_INPUT).vectors : 0,
    ),
    one(
      'meshtap_kernel_drops_total',
      'Packets the kernel dropped (libpcap counter)',
      'counter',
      state.stats?.droppedByKernel ?? 0,
    ),
    one('meshtap_entries_total', 'Entries stored', 'counter', state.entries),
    one(
      'meshtap_live_dropped_total',
      'Entries not sent to slow WebSocket subscribers',
      'counter',
      feed.dropped,
    ),
    {
      name: 'meshtap_graph_node_calls_total',
      help: 'Calls per graph node',
      type: 'counter',
      samples: perNode((c) => c.calls),
    },
    {
      name: 'meshtap_graph_node_vectors_total',
      help: 'Packets (vector elements) per graph node',
      type: 'counter',
      samples: perNode((c) => c.vectors),
    },
    one('meshtap_store_bytes', 'Bytes of stream files in the store', 'gauge', usage.fileBytes),
    one('meshtap_store_streams', 'Streams in the store', 'gauge', usage.streams),
  ];
}
