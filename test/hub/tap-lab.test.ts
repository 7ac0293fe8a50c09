import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { parseTcpdumpParams } from '../../src/capture/tcpdump-params.js';
import type { StoredEntry } from '../../src/store/entries-index.js';
import { startTap, type Tap } from '../../src/hub/tap.js';
import { createLab, labUnavailable, type Lab, type LabHost } from '../helpers/netns.js';
import { runTool } from '../helpers/tools.js';
import {
  clientScript,
  GRPC_MISSING,
  GRPC_PORT,
  GRPC_SERVER,
  GRPC_SERVICE,
  grpcClientScript,
  H1_PORT,
  H2_PORT,
  SERVERS,
  udpScript,
  type GrpcCall,
  type GrpcOutcome,
} from './lab-scripts.js';

const skip = labUnavailable();

/** Waits for a child to exit (killing it past `ms`); rejects unless it exited 0. Returns its stdout. */
function finished(child: ChildProcess, ms = 15_000): Promise<string> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

/** Polls `check` every 100 ms until it returns a value (not undefined) or `ms` pass. */
async function poll<T>(check: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function bounded<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once the child prints "listening" (rejecting after 10 s). */
function listening(child: ChildProcess, what: string): Promise<unknown> {
  return bounded(
    new Promise((resolve) =>
      child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve(true)),
    ),
    what,
  );
}

/** Every file and directory under `dir`, relative, sorted: "nothing on disk changed" compares two of these. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

function tsharkRows(path: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', path, ...extra, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  return runTool('tshark', args)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

describe('meshtap tap in a network namespace lab', { skip: skip ?? false, timeout: 180_000 }, () => {
  let lab: Lab;
  let dir: string;
  let tap: Tap;
  let servers: ChildProcess;
  let grpcServer: ChildProcess;
  let web: LabHost;
  let client: LabHost;
  let live: WebSocket;
  const liveEntries: StoredEntry[] = [];
  const logLines: string[] = [];
  let entries: StoredEntry[] = [];

  const api = (path: string, init: RequestInit = {}, auth = true): Promise<Response> =>
    fetch(tap.url + path, {
      ...init,
      signal: AbortSignal.timeout(15_000),
      headers: {
        ...(auth ? { authorization: `Bearer ${tap.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  /** Asserts the request fails with this status and error code (or code pattern). */
  const expectError = async (path: string, status: number, code: string | RegExp, init: RequestInit = {}) => {
    const res = await api(path, init, status !== 401);
    const text = await res.text();
    assert.equal(res.status, status, `${path}: ${text}`);
    assert.match((JSON.parse(text) as { error: { code: string } }).error.code, new RegExp(code), path);
  };
  const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
  const apiJson = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await api(path, init);
    assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const query = async (q: string): Promise<StoredEntry[]> =>
    (await apiJson<{ entries: StoredEntry[] }>(`/api/entries?order=asc&q=${encodeURIComponent(q)}`)).entries;
  /** A WebSocket on /api/live with query `q`, open, pushing what it receives into `into`. */
  const subscribe = async (q: string, into: StoredEntry[]): Promise<WebSocket> => {
    const url = `${tap.url.replace('http', 'ws')}/api/live?q=${encodeURIComponent(q)}&token=${tap.token}`;
    const ws = new WebSocket(url);
    ws.on('message', (data) => into.push(JSON.parse(String(data)) as StoredEntry));
    await bounded(
      new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
      `the live WebSocket (${q}) to open`,
    );
    return ws;
  };
  const runClient = async (h1Paths: string[], h2Paths: string[]): Promise<number[]> =>
    JSON.parse(
      await finished(lab.spawn(client, [process.execPath, '-e', clientScript(web.ip, h1Paths, h2Paths)])),
    ) as number[];
  const download = async (path: string, name: string): Promise<string> => {
    const res = await api(path);
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    const file = join(dir, name);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return file;
  };

  before(async () => {
    lab = createLab(3);
    [web, client] = lab.hosts;
    dir = mkdtempSync(join(tmpdir(), 'meshtap-tap-lab-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `"${web.ip}": { name: web, namespace: shop }\n"${client.ip}": { name: client, namespace: shop }\n`,
    );
    servers = lab.spawn(web, [process.execPath, '-e', SERVERS]);
    grpcServer = lab.spawn(web, [process.execPath, '-e', GRPC_SERVER]);
    await Promise.all([
      listening(servers, 'the servers to listen'),
      listening(grpcServer, 'the gRPC server to listen'),
    ]);
    tap = await startTap({
      dataDir: join(dir, 'data'),
      host: '127.0.0.1',
      port: 0,
      source: { kind: 'live', params: parseTcpdumpParams('-i eth0'), netns: web.netns },
      inventory,
      logger: { level: 'info', stream: { write: (line: string) => void logLines.push(line) } },
    });
    live = await subscribe('http2 and dst.name == "web"', liveEntries);
  });

  after(async () => {
    live?.terminate();
    try {
      if (tap) await bounded(tap.stop(), 'the tap to stop');
    } finally {
      servers?.kill('SIGKILL');
      grpcServer?.kill('SIGKILL');
      lab?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hostile requests: 401 without the token, 400 with stable codes, nothing on disk changes', async () => {
    const before = listing(tap.store.dataDir);
    for (const path of ['/api/entries', '/api/captures', '/metrics', '/api/run', '/api/openapi.json']) {
      await expectError(path, 401, '^HUB_UNAUTHORIZED$');
    }
    assert.equal((await api('/api/health', {}, false)).status, 200);
    // The refused upgrade's socket is closed by the hub (once it was left open, and stop() hung on it).
    const refused = await bounded(
      new Promise<{ status: number; closed: boolean }>((resolve) => {
        const ws = new WebSocket(`${tap.url.replace('http', 'ws')}/api/live`);
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          res.socket.once('close', () => resolve({ status: res.statusCode ?? 0, closed: true }));
        });
        ws.on('open', () => resolve({ status: 101, closed: false }));
      }),
      'the refused WebSocket to close',
    );
    assert.deepEqual(refused, { status: 401, closed: true }, 'the WebSocket needs the token too');

    const badQueries: Array<[string, string]> = [
      ['/api/entries?q=', 'request.methd == "GET"'],
      ['/api/entries?q=', 'http and'],
      ['/api/entries?q=', 'response.status == "200"'],
      ['/api/export?q=', 'request.path == r"(unclosed"'],
    ];
    for (const [path, q] of badQueries) await expectError(path + encodeURIComponent(q), 400, /^QUERY_/);
    const lookups: Array<[string, number, string]> = [
      [`/api/streams/${encodeURIComponent('../../index.sqlite')}/pcap`, 400, 'STORE_BAD_STREAM_KEY'],
      ['/api/streams/nosuchnode_20240101T000000Z-0000_1/pcap', 404, 'STREAM_NOT_FOUND'],
      ['/api/entries?cursor=nonsense', 400, 'STORE_BAD_CURSOR'],
      ['/api/entries?limit=0', 400, 'HUB_BAD_REQUEST'],
    ];
    for (const [path, status, code] of lookups) await expectError(path, status, `^${code}$`);
    await expectError(`/api/export?q=http&filter=${encodeURIComponent('tcp port')}`, 400, '^FILTER_SYNTAX$');
    const wsError = await bounded(
      new Promise<{ code: number; message: { error: { code: string } } }>((resolve) => {
        const ws = new WebSocket(
          `${tap.url.replace('http', 'ws')}/api/live?q=${encodeURIComponent('http and')}&token=${tap.token}`,
        );
        let message: { error: { code: string } };
        ws.on('message', (data) => (message = JSON.parse(String(data)) as typeof message));
        ws.on('close', (code) => resolve({ code, message }));
      }),
      'the WebSocket with a bad query to close',
    );
    assert.equal(wsError.code, 1008);
    assert.equal(wsError.message.error.code, 'QUERY_SYNTAX');

    // Every flag issue 6 names as refused, through the API.
    for (const flag of [
      '-w /tmp/x',
      '-r /tmp/x',
      '-z gzip',
      '-Z nobody',
      '-F /etc/passwd',
      '-C 1',
      '-G 1',
      '-W 2',
      '-V /tmp/list',
    ]) {
      const body = { fileName: 'x.pcap', durationSeconds: 5, tcpdumpParams: `-i eth0 ${flag}` };
      await expectError('/api/captures', 400, '^CAPTURE_FORBIDDEN_FLAG$', post(body));
    }
    for (const fileName of ['../x.pcap', '../../etc/cron.d/x.pcap', '/tmp/x.pcap', '..pcap', 'a\\b.pcap']) {
      await expectError('/api/captures', 400, '^TASK_BAD_FILE_NAME$', post({ fileName, durationSeconds: 5 }));
    }
    assert.deepEqual(await apiJson('/api/captures'), []);
    // The live WebSocket sent its token in the URL: the log has the request, not the token.
    assert.ok(logLines.some((l) => l.includes('/api/live?q=') && l.includes('token=REDACTED')));
    assert.equal(logLines.filter((l) => l.includes(tap.token!)).length, 0);
    assert.deepEqual(listing(tap.store.dataDir), before);
  });

  test('live HTTP/1.1 and h2c traffic becomes named entries in the API and on the WebSocket', async () => {
    const statuses = await runClient(['/items/0', '/items/1', '/items/2', '/missing'], ['/h2/a', '/h2/b']);
    assert.deepEqual(statuses, [200, 200, 200, 404, 200, 200], 'what the client itself saw');
    entries = await poll(async () => {
      const all = await query('');
      return all.length >= 6 ? all : undefined;
    }, 'six entries');
    assert.equal(entries.length, 6, JSON.stringify(entries.map((e) => e.request?.path)));

    const h1 = entries.filter((e) => e.protocol === 'http');
    assert.deepEqual(
      h1.map((e) => [e.request?.method, e.request?.path, e.response?.status]),
      [
        ['GET', '/items/0', 200],
        ['GET', '/items/1', 200],
        ['GET', '/items/2', 200],
        ['GET', '/missing', 404],
      ],
    );
    const h2 = entries.filter((e) => e.protocol === 'http2');
    assert.deepEqual(
      h2.map((e) => [e.request?.method, e.request?.path, e.response?.status]),
      [
        ['GET', '/h2/a', 200],
        ['GET', '/h2/b', 200],
      ],
    );
    for (const e of entries) {
      assert.deepEqual(
        [e.src.ip, e.src.name, e.src.namespace, e.dst.ip, e.dst.name, e.dst.namespace],
        [client.ip, 'client', 'shop', web.ip, 'web', 'shop'],
      );
      assert.equal(e.dst.port, e.protocol === 'http' ? H1_PORT : H2_PORT);
    }

    const missing = await query('response.status == 404');
    assert.equal(missing.length, 1);
    assert.equal(missing[0].request?.path, '/missing');
    assert.equal((await query('http2 and src.name == "client" and dst.namespace == "shop"')).length, 2);
    assert.equal((await query('http and startsWith(request.path, "/items/")')).length, 3);
    assert.equal((await query('dst.name == "nobody"')).length, 0);

    assert.deepEqual(await apiJson(`/api/entries/${missing[0].id}`), missing[0]);
    await expectError('/api/entries/999999', 404, '^ENTRY_NOT_FOUND$');

    await poll(async () => (liveEntries.length >= 2 ? true : undefined), 'two live entries', 5000);
    assert.deepEqual(
      liveEntries.map((e) => [e.protocol, e.request?.path, e.dst.name]),
      [
        ['http2', '/h2/a', 'web'],
        ['http2', '/h2/b', 'web'],
      ],
    );
    // What a live subscriber gets is the stored entry: id, stream key and node included.
    assert.deepEqual(liveEntries, h2);
  });

  test("a stream's pcap and an export hold the packets tshark expects", async () => {
    const missing = entries.find((e) => e.response?.status === 404)!;
    const h1File = await download(`/api/streams/${missing.streamKey}/pcap`, 'h1-stream.pcap');
    const h1Rows = tsharkRows(h1File, [
      'ip.src',
      'tcp.srcport',
      'ip.dst',
      'tcp.dstport',
      'tcp.flags.syn',
      'http.request.uri',
      'http.response.code',
    ]);
    const ends = [missing.src.ip, String(missing.src.port), missing.dst.ip, String(missing.dst.port)];
    for (const [srcIp, srcPort, dstIp, dstPort] of h1Rows) {
      const tuple = [srcIp, srcPort, dstIp, dstPort];
      assert.ok(
        tuple.join() === ends.join() || tuple.join() === [ends[2], ends[3], ends[0], ends[1]].join(),
        `a packet of another stream: ${tuple.join(' ')}`,
      );
    }
    assert.ok(['1', 'True'].includes(h1Rows[0][4]), 'the stream starts with its SYN');
    assert.deepEqual(
      h1Rows.map((r) => r[5]).filter((u) => u !== ''),
      ['/items/0', '/items/1', '/items/2', '/missing'],
    );
    assert.deepEqual(
      h1Rows.map((r) => r[6]).filter((c) => c !== ''),
      ['200', '200', '200', '404'],
    );

    const exported = await download('/api/export?q=http2', 'export-http2.pcap');
    const h2Rows = tsharkRows(
      exported,
      ['tcp.srcport', 'tcp.dstport', 'http2.headers.path'],
      ['-d', `tcp.port==${H2_PORT},http2`],
    );
    assert.ok(h2Rows.length > 0);
    for (const [sport, dport] of h2Rows) {
      assert.ok(sport === String(H2_PORT) || dport === String(H2_PORT), `${sport} -> ${dport}`);
    }
    assert.deepEqual(
      h2Rows.map((r) => r[2]).filter((p) => p !== ''),
      ['/h2/a', '/h2/b'],
    );
  });

  test('an export narrowed by a pcap-filter holds only the packets it matches', async () => {
    const q = encodeURIComponent('response.status == 404');
    const syn = encodeURIComponent('tcp[13] & 2 != 0');
    const file = await download(`/api/export?q=${q}&filter=${syn}`, 'export-syn.pcap');
    const rows = tsharkRows(file, ['ip.src', 'ip.dst', 'tcp.flags.syn', 'tcp.flags.ack']);
    // The one HTTP/1.1 connection so far: its SYN, then the SYN-ACK.
    assert.deepEqual(
      rows.map(([src, dst, s, a]) => [src, dst, s === '1' || s === 'True', a === '1' || a === 'True']),
      [
        [client.ip, web.ip, true, false],
        [web.ip, client.ip, true, true],
      ],
    );
  });

  test('metrics, show run and the OpenAPI document describe the live tap', async () => {
    const metrics = await (await api('/metrics')).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(value('meshtap_packets_total') > 0, metrics);
    assert.equal(value('meshtap_entries_total'), entries.length);
    assert.match(metrics, /^meshtap_graph_node_vectors_total\{node="stream-store"\} [1-9]\d*$/m);

    const run = await (await api('/api/run')).text();
    assert.match(run, /^stream-store\s+active\s+[1-9]/m, run);
    assert.match(run, /^dissect\s+active\s+[1-9]/m, run);

    const doc = await apiJson<{ paths: Record<string, unknown> }>('/api/openapi.json');
    for (const path of [
      '/api/entries',
      '/api/entries/{id}',
      '/api/streams/{key}/pcap',
      '/api/export',
      '/api/live',
    ]) {
      assert.ok(doc.paths[path], path);
    }
  });

  test('trace add on a live node shows the packets of later traffic', async () => {
    assert.deepEqual(await apiJson('/api/trace', post({ node: 'stream-store', count: 3 })), {
      node: 'stream-store',
      count: 3,
      graphs: ['meshtap_main'],
    });
    assert.deepEqual(await runClient(['/items/9'], []), [200]);
    const trace = await poll(async () => {
      const text = await (await api('/api/trace')).text();
      return (text.match(/^Packet \d+$/gm) ?? []).length >= 3 ? text : undefined;
    }, 'three traced packets');
    assert.equal(trace.match(/^Packet \d+$/gm)?.length, 3, trace);
    assert.equal(trace.match(/: stream-store$/gm)?.length, 3, trace);
    assert.match(trace, /record queued for stream /);
    assert.equal((await api('/api/trace', { method: 'DELETE' })).status, 200);
    assert.equal(await (await api('/api/trace')).text(), 'No packets in trace buffer\n');
    // The later traffic is no HTTP/2: the live query let nothing more through.
    assert.equal(liveEntries.length, 2);
  });

  test('a capture task on another namespace holds exactly its UDP traffic; delete removes it', async () => {
    const target = lab.hosts[2];
    const sender = lab.spawn(client, [
      process.execPath,
      '-e',
      udpScript(
        [
          [target.ip, 12],
          [web.ip, 7],
        ],
        9999,
      ),
    ]);
    const sent = finished(sender);
    await bounded(
      new Promise((resolve) =>
        sender.stdout?.on('data', (d: Buffer) => String(d).includes('ready') && resolve(true)),
      ),
      'the UDP sender to start',
    );
    const created = await api(
      '/api/captures',
      post({
        target: `netns:${target.netns}`,
        // Long enough for the sender to run after the task starts, even on a loaded machine.
        durationSeconds: 8,
        tcpdumpParams: 'udp',
        fileName: 'host2.pcap',
      }),
    );
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: number };
    type Task = { state: string; packets: number; path: string; sizeBytes: number; reason: string | null };
    const task = (): Promise<Task> => apiJson<Task>(`/api/captures/${id}`);
    const started = await poll(
      async () => {
        const t = await task();
        return t.state === 'Pending' ? undefined : t;
      },
      'the task to start',
      10_000,
    );
    assert.equal(started.state, 'Running', JSON.stringify(started));
    sender.kill('SIGUSR2'); // 12 datagrams into the target namespace, 7 into another one
    await sent;
    const done = await poll(
      async () => {
        const t = await task();
        return t.state === 'Pending' || t.state === 'Running' ? undefined : t;
      },
      'the task to end',
      20_000,
    );
    assert.equal(done.state, 'Complete', done.reason ?? '');
    assert.equal(done.packets, 12);
    assert.equal(done.path, join(tap.store.dataDir, 'captures', 'host2.pcap'));
    assert.equal((await apiJson<Task[]>('/api/captures')).length, 1);

    const file = await download(`/api/captures/${id}/download`, 'downloaded.pcap');
    assert.deepEqual(readFileSync(file), readFileSync(done.path));
    assert.equal(done.sizeBytes, readFileSync(file).length);
    const rows = tsharkRows(file, ['ip.src', 'ip.dst', 'udp.dstport']);
    assert.equal(rows.length, 12);
    for (const row of rows) assert.deepEqual(row, [client.ip, target.ip, '9999']);

    const deleted = await apiJson<Task>(`/api/captures/${id}`, { method: 'DELETE' });
    assert.equal(deleted.state, 'Deleted');
    assert.equal(existsSync(done.path), false);
    for (const path of [`/api/captures/${id}`, `/api/captures/${id}/download`]) {
      await expectError(path, 404, '^TASK_NOT_FOUND$');
    }
  });

  test('live gRPC calls become named grpc entries with their status, in the API and on the WebSocket', async () => {
    const grpcLive: StoredEntry[] = [];
    const ws = await subscribe('grpc', grpcLive);
    try {
      // The names start with 'f' or 'n' (0x66, 0x6e: wire type 6, no valid protobuf tag), so a
      // name's bytes cannot pass for a nested message: each request shows as one string field 1.
      const calls: GrpcCall[] = [
        { method: 'GetItem', name: 'fig' },
        { method: 'GetItem', name: GRPC_MISSING.name },
        { method: 'ListItems', name: 'fruit' },
      ];
      const outcomes = JSON.parse(
        await finished(lab.spawn(client, [process.execPath, '-e', grpcClientScript(web.ip, calls)])),
      ) as GrpcOutcome[];
      assert.deepEqual(
        outcomes.map((o) => [o.code, o.details, o.replies.length]),
        [
          [0, 'OK', 1],
          [5, GRPC_MISSING.message, 0],
          [0, 'OK', 3],
        ],
        'what the client itself saw: OK, NOT_FOUND, OK after three replies',
      );

      const grpc = await poll(async () => {
        const found = await query('grpc');
        return found.length >= calls.length ? found : undefined;
      }, 'three gRPC entries');
      assert.deepEqual(
        grpc.map((e) => [
          e.protocol,
          e.request?.service,
          e.request?.method,
          e.request?.path,
          e.response?.status,
          e.response?.grpcStatus,
          e.response?.messageCount,
        ]),
        calls.map((c, i) => {
          const { path, code, replies } = outcomes[i];
          return ['grpc', GRPC_SERVICE, c.method, path, 200, code, replies.length];
        }),
      );
      assert.equal(grpc[1].response?.grpcMessage, GRPC_MISSING.message);
      assert.deepEqual(
        grpc.map((e) => e.request?.messages),
        calls.map((c) => [
          // 0x0a, the name's length, the name
          {
            compressed: false,
            length: c.name.length + 2,
            complete: true,
            fields: [{ field: 1, wireType: 'string', value: c.name }],
          },
        ]),
      );
      for (const e of grpc) {
        assert.deepEqual(
          [e.src.ip, e.src.name, e.src.namespace, e.dst.ip, e.dst.name, e.dst.namespace, e.dst.port],
          [client.ip, 'client', 'shop', web.ip, 'web', 'shop', GRPC_PORT],
        );
      }
      const notFound = await query('grpc and response.grpcStatus == 5 and src.name == "client"');
      assert.deepEqual(
        notFound.map((e) => e.id),
        [grpc[1].id],
      );

      await poll(
        async () => (grpcLive.length >= calls.length ? true : undefined),
        'three live gRPC entries',
        5000,
      );
      assert.deepEqual(grpcLive, grpc);
      // The calls are no plain HTTP/2 to the other subscriber.
      assert.equal(liveEntries.length, 2);
    } finally {
      ws.terminate();
    }
  });
});
