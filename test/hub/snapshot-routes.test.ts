/**
 * The snapshot REST API on a real hub (`startTap` serving a corpus capture, the API on
 * loopback, a real store in a temporary directory): create from a query, list, download,
 * delete; hostile names, duplicates, bad queries and failed creations change nothing on disk.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tap } from '../../src/hub/tap.js';
import { MAX_SNAPSHOT_NAME_LENGTH, SnapshotFolder } from '../../src/snapshot/snapshot-folder.js';
import { storedEntries, withOpenedSnapshot } from '../../src/snapshot/snapshot-input.js';
import type { StoredEntry } from '../../src/store/entries-index.js';
import { dataPath } from '../../src/store/layout.js';
import { corpusPcap } from '../helpers/corpus.js';
import { startCaptureTap } from '../helpers/tap.js';
import { runTool } from '../helpers/tools.js';

const SOURCE = corpusPcap('pcapplusplus__four_ipv6_http_streams.pcap');
const QUERY = 'http and request.path == r"^/images/"';

describe('hub snapshot API', { timeout: 60_000 }, () => {
  let dir: string;
  let tap: Tap;
  let snapshotsDir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-snapshot-routes-'));
    tap = await startCaptureTap(join(dir, 'data'), SOURCE);
    snapshotsDir = join(tap.store.dataDir, 'snapshots');
  });
  after(async () => {
    await tap?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string, init: { method?: string; body?: unknown; auth?: boolean } = {}) =>
    fetch(tap.url + path, {
      method: init.method ?? 'GET',
      signal: AbortSignal.timeout(15_000),
      headers: {
        ...(init.auth === false ? {} : { authorization: `Bearer ${tap.token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const create = (body: unknown) => api('/api/snapshots', { method: 'POST', body });
  /** Asserts status and error code, and returns the error body. */
  const refused = async (res: Response, status: number, code: string | RegExp, what: string) => {
    const text = await res.text();
    assert.equal(res.status, status, `${what}: ${text}`);
    const body = JSON.parse(text) as { error: { code: string; details?: Record<string, unknown> } };
    assert.match(body.error.code, typeof code === 'string' ? new RegExp(`^${code}$`) : code, what);
    return body.error;
  };
  /** Every file and directory under the snapshots folder, with its bytes: "nothing changed" compares two. */
  const folderState = (): string[] =>
    existsSync(snapshotsDir)
      ? (readdirSync(snapshotsDir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
          .map((d) => {
            const path = join(d.parentPath, d.name);
            return `${path}:${d.isFile() ? readFileSync(path).toString('base64') : 'dir'}`;
          })
          .sort()
      : [];
  const entriesOf = async (q: string): Promise<StoredEntry[]> => {
    const res = await api(`/api/entries?order=asc&limit=10000&q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { entries: StoredEntry[] }).entries;
  };
  const withoutId = (entries: StoredEntry[]) => entries.map(({ id: _id, ...rest }) => rest);
  const download = async (name: string): Promise<Response> =>
    api(`/api/snapshots/${encodeURIComponent(name)}/download`);

  test('create from a query, list, download: the archive holds what /api/entries returns', async () => {
    // The reference: tshark's HTTP requests for /images/… and the TCP streams that carry them.
    const requests = runTool('tshark', [
      '-r',
      SOURCE,
      '-Y',
      'http.request',
      '-T',
      'fields',
      '-e',
      'tcp.stream',
      '-e',
      'http.request.uri',
    ])
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'))
      .filter(([, uri]) => uri.startsWith('/images/'));
    assert.equal(requests.length, 3, 'the corpus file has three /images/ requests');

    const res = await create({ name: 'images', q: QUERY });
    assert.equal(res.status, 201, await res.clone().text());
    const made = (await res.json()) as Record<string, unknown>;
    assert.equal(made.name, 'images.tar.gz', 'the .tar.gz ending is added');
    assert.equal(made.entries, requests.length);
    assert.equal(made.streams, new Set(requests.map(([stream]) => stream)).size);
    assert.equal(made.query, QUERY);
    assert.equal(made.node, 'node-a');
    assert.ok(Date.parse(made.createdAt as string) > 0);

    const listed = (await (await api('/api/snapshots')).json()) as Record<string, unknown>[];
    assert.deepEqual(listed, [made]);

    const got = await download('images.tar.gz');
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/gzip');
    assert.equal(got.headers.get('content-disposition'), 'attachment; filename="images.tar.gz"');
    const bytes = Buffer.from(await got.arrayBuffer());
    assert.equal(bytes.length, made.size);
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic (RFC 1952)');
    const file = join(dir, 'downloaded.tar.gz');
    writeFileSync(file, bytes);
    const inArchive = await withOpenedSnapshot(file, async (store) => [...storedEntries(store)].flat());
    const fromApi = await entriesOf(QUERY);
    assert.equal(fromApi.length, requests.length);
    assert.deepEqual(withoutId(inArchive), withoutId(fromApi));

    const sameBytes = Buffer.from(await (await download('images')).arrayBuffer());
    assert.ok(sameBytes.equals(bytes), 'the name works without its ending too');
  });

  test('hostile names are 400 and the snapshots folder does not change', async () => {
    const before = folderState();
    const hostile = [
      '../x',
      'a/b',
      '.',
      '..',
      '',
      'a\u0000b',
      'a\\b',
      '.hidden',
      'a b',
      'x'.repeat(MAX_SNAPSHOT_NAME_LENGTH),
    ];
    for (const name of hostile) {
      await refused(await create({ name, q: QUERY }), 400, 'SNAPSHOT_BAD_NAME', JSON.stringify(name));
    }
    await refused(await create({ name: { a: 1 } }), 400, 'HUB_BAD_REQUEST', 'an object');
    await refused(await create({ name: 'ok', extra: 1 }), 400, 'HUB_BAD_REQUEST', 'an unknown field');
    await refused(await create({ q: QUERY }), 400, 'HUB_BAD_REQUEST', 'no name');
    for (const encoded of ['..%2Fx', 'a%2Fb', 'a%00b', '%2Eb']) {
      await refused(await api(`/api/snapshots/${encoded}/download`), 400, 'SNAPSHOT_BAD_NAME', encoded);
      await refused(
        await api(`/api/snapshots/${encoded}`, { method: 'DELETE' }),
        400,
        'SNAPSHOT_BAD_NAME',
        encoded,
      );
    }
    assert.deepEqual(folderState(), before);
  });

  test('a bad query is 400 with its position, before anything is written', async () => {
    const before = folderState();
    const error = await refused(
      await create({ name: 'bad', q: 'http and request.methd == "GET"' }),
      400,
      /^QUERY_/,
      'bad query',
    );
    // "http and request." is 17 characters: the unknown member name starts at offset 17.
    assert.deepEqual(error.details?.position, { offset: 17, line: 1, column: 18 });
    assert.deepEqual(folderState(), before);
  });

  test('a duplicate name is 409 and the stored snapshot is untouched, even when two requests race', async () => {
    const first = await create({ name: 'dup.tar.gz', q: 'http' });
    assert.equal(first.status, 201);
    const before = folderState();
    await refused(
      await create({ name: 'dup', q: 'dns' }),
      409,
      'SNAPSHOT_DUPLICATE_NAME',
      'same name without the ending',
    );
    await refused(await create({ name: 'dup.tar.gz', q: '' }), 409, 'SNAPSHOT_DUPLICATE_NAME', 'same name');
    assert.deepEqual(folderState(), before);

    const racing = await Promise.all([
      create({ name: 'race', q: 'http' }),
      create({ name: 'race', q: 'http' }),
    ]);
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409]);
  });

  test('a failed creation leaves nothing listed and loses nothing stored', async () => {
    // A stream file removed under the store (as by hand): the archive cannot be written.
    const [entry] = await entriesOf(QUERY);
    const [row] = tap.store.catalog.getMany([entry.streamKey]);
    const streamFile = dataPath(tap.store.dataDir, row.filePath);
    const listedBefore = await (await api('/api/snapshots')).json();
    const before = folderState();
    renameSync(streamFile, `${streamFile}.away`);
    try {
      const res = await create({ name: 'broken', q: QUERY });
      assert.equal(res.status, 500, await res.text());
    } finally {
      renameSync(`${streamFile}.away`, streamFile);
    }
    assert.deepEqual(await (await api('/api/snapshots')).json(), listedBefore);
    assert.deepEqual(folderState(), before);
    assert.equal(
      (await create({ name: 'broken', q: QUERY })).status,
      201,
      'the name is free after the failure',
    );
  });

  test('delete, then download and delete are 404; without its sidecar a snapshot lists name, size and date', async () => {
    assert.equal((await create({ name: 'gone', q: 'http' })).status, 201);
    const deleted = await api('/api/snapshots/gone', { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal(((await deleted.json()) as { name: string }).name, 'gone.tar.gz');
    await refused(await download('gone'), 404, 'SNAPSHOT_NOT_FOUND', 'download after delete');
    await refused(
      await api('/api/snapshots/gone.tar.gz', { method: 'DELETE' }),
      404,
      'SNAPSHOT_NOT_FOUND',
      'delete twice',
    );
    assert.ok(
      !readdirSync(snapshotsDir).some((n) => n.includes('gone')),
      'archive and sidecar are both gone',
    );

    assert.equal((await create({ name: 'bare', q: 'http' })).status, 201);
    rmSync(join(snapshotsDir, '.bare.tar.gz.json'));
    const listed = (await (await api('/api/snapshots')).json()) as Record<string, unknown>[];
    const bare = listed.find((s) => s.name === 'bare.tar.gz');
    assert.deepEqual(Object.keys(bare ?? {}).sort(), ['createdAt', 'name', 'size']);
  });

  test('every snapshot route needs the token and is in the OpenAPI document', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/api/snapshots'],
      ['GET', '/api/snapshots'],
      ['GET', '/api/snapshots/images/download'],
      ['DELETE', '/api/snapshots/images'],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? { name: 'x' } : undefined;
      await refused(
        await api(path, { method, body, auth: false }),
        401,
        'HUB_UNAUTHORIZED',
        `${method} ${path}`,
      );
    }
    const doc = (await (await api('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(Object.keys(doc.paths['/api/snapshots']).sort(), ['get', 'post']);
    assert.ok(doc.paths['/api/snapshots/{name}/download'].get);
    assert.ok(doc.paths['/api/snapshots/{name}'].delete);
  });

  test('what an interrupted creation left behind is removed at start', async () => {
    const folder = new SnapshotFolder(tap.store, join(dir, 'leftovers'));
    mkdirSync(join(folder.dir, '.partial', '.meshtap-snapshot-x'), { recursive: true });
    writeFileSync(join(folder.dir, '.partial', 'abc.tar.gz'), 'half');
    writeFileSync(join(folder.dir, 'kept.tar.gz'), 'not a real archive, but stored');
    await folder.removeLeftovers();
    assert.deepEqual(readdirSync(folder.dir), ['kept.tar.gz']);
  });
});
