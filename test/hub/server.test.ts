import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CaptureTaskManager } from '../../src/capture/task-manager.js';
import { buildHub } from '../../src/hub/server.js';
import { loadOrCreateToken } from '../../src/hub/auth.js';
import { openStoreDatabase, type StoreDatabase } from '../../src/store/database.js';
import { buildReadGraph, CAPTURE_INPUT } from '../../src/pipeline/read-graph.js';
import { GraphPacket } from '../../src/graph/packet.js';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { readFileSync } from 'node:fs';
import { corpusPcap } from '../helpers/corpus.js';

describe('hub API: token, validation, tasks, tracer, OpenAPI, metrics', () => {
  let dir: string;
  let db: StoreDatabase;
  let app: FastifyInstance;
  let token: string;
  const graph = buildReadGraph({ consumer: { needsOrder: false, consume: () => undefined } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-hub-test-'));
    db = openStoreDatabase(join(dir, 'hub.sqlite'));
    const tasks = new CaptureTaskManager({ db, dir: join(dir, 'captures') });
    const made = loadOrCreateToken(dir);
    token = made.token;
    assert.equal(made.created, true);
    assert.equal(statSync(made.path).mode & 0o777, 0o600);
    assert.equal(loadOrCreateToken(dir).created, false, 'made once, then reused');
    app = await buildHub({
      token,
      tasks,
      graphs: () => [{ label: 'meshtap_main', graph, inputNode: CAPTURE_INPUT }],
      routes: [
        (a) =>
          a.get(
            '/api/strict',
            {
              schema: {
                querystring: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { q: { type: 'string' } },
                },
              },
            },
            async (request) => request.query,
          ),
      ],
      metrics: () => [
        { name: 'meshtap_packets_total', help: 'Packets read', type: 'counter', samples: [{ value: 42 }] },
      ],
    });
  });
  after(async () => {
    await app?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, auth = true) =>
    app.inject({
      method,
      url,
      payload: payload as never,
      headers: auth ? { authorization: `Bearer ${token}` } : {},
    });

  test('every route but health needs the token', async () => {
    assert.equal((await call('GET', '/api/health', undefined, false)).statusCode, 200);
    for (const url of ['/api/captures', '/api/run', '/metrics', '/api/openapi.json']) {
      const res = await call('GET', url, undefined, false);
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.json().error.code, 'HUB_UNAUTHORIZED');
    }
    const wrong = await app.inject({
      url: '/api/captures',
      headers: { authorization: `Bearer ${'0'.repeat(64)}` },
    });
    assert.equal(wrong.statusCode, 401);
  });

  test('?token= (what browsers use for WebSockets) works on routes with strict query schemas', async () => {
    const res = await app.inject({ url: `/api/strict?q=http&token=${token}` });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { q: 'http' }, 'the token is not passed on to the route');
    const wrong = await app.inject({ url: `/api/strict?q=http&token=${'0'.repeat(64)}` });
    assert.equal(wrong.statusCode, 401);
  });

  test('hostile capture task requests are clear 4xx errors and nothing on disk changes', async () => {
    const before = readdirSync(dir, { recursive: true }).sort();
    const cases: Array<[unknown, number, string]> = [
      [
        { fileName: 'a.pcap', durationSeconds: 5, tcpdumpParams: '-w /etc/passwd' },
        400,
        'CAPTURE_FORBIDDEN_FLAG',
      ],
      [
        { fileName: 'a.pcap', durationSeconds: 5, tcpdumpParams: '-i eth0 -z /bin/sh' },
        400,
        'CAPTURE_FORBIDDEN_FLAG',
      ],
      [{ fileName: '../../a.pcap', durationSeconds: 5 }, 400, 'TASK_BAD_FILE_NAME'],
      [{ fileName: 'a.pcap', durationSeconds: 99999999 }, 400, 'HUB_BAD_REQUEST'],
      [{ fileName: 'a.pcap' }, 400, 'HUB_BAD_REQUEST'],
      [{ fileName: 'a.pcap', durationSeconds: 5, extra: 1 }, 400, 'HUB_BAD_REQUEST'],
      [{ fileName: 'a.pcap', durationSeconds: 5, tcpdumpParams: 'port 99999' }, 400, 'FILTER_SEMANTIC'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/api/captures', body);
      assert.equal(res.statusCode, status, JSON.stringify(body));
      assert.equal(res.json().error.code, code, `${JSON.stringify(body)}: ${res.body}`);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/captures',
      payload: '{',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal((await call('GET', '/api/captures/999')).statusCode, 404);
    assert.equal((await call('GET', '/api/captures/abc')).statusCode, 400);
    assert.equal((await call('DELETE', '/api/captures/999')).statusCode, 404);
    assert.equal((await call('GET', '/api/nope')).json().error.code, 'HUB_ROUTE_NOT_FOUND');
    assert.deepEqual(readdirSync(dir, { recursive: true }).sort(), before);
  });

  test('trace add / show trace / clear trace / show run on the graph', async () => {
    assert.equal(
      (await call('POST', '/api/trace', { node: 'no-such-node', count: 3 })).json().error.code,
      'HUB_BAD_NODE',
    );
    assert.equal((await call('POST', '/api/trace', { node: 'ip4-input', count: 0 })).statusCode, 400);
    assert.equal((await call('POST', '/api/trace', { node: 'ip4-input', count: 2 })).statusCode, 200);
    const capture = readCaptureBuffer(readFileSync(corpusPcap('tcpdump__dns_udp.pcap')));
    graph.inject(
      CAPTURE_INPUT,
      capture.records.map((r, i) => GraphPacket.fromRecord(i, r)),
    );
    const trace = (await call('GET', '/api/trace')).body;
    assert.equal(trace.match(/^Packet \d+/gm)?.length, 2, trace);
    assert.match(trace, /ip4-input/);
    assert.match((await call('GET', '/api/run')).body, /udp-input\s+active/);
    await call('DELETE', '/api/trace');
    assert.doesNotMatch((await call('GET', '/api/trace')).body, /^Packet/m);
  });

  test('OpenAPI document lists the routes; metrics are Prometheus text', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json();
    assert.equal(doc.openapi, '3.0.3');
    for (const path of [
      '/api/captures',
      '/api/captures/{id}',
      '/api/captures/{id}/download',
      '/api/trace',
      '/api/run',
      '/metrics',
    ]) {
      assert.ok(doc.paths[path], path);
    }
    assert.equal(
      doc.paths['/api/captures'].post.requestBody.content['application/json'].schema.required.includes(
        'fileName',
      ),
      true,
    );
    const metrics = (await call('GET', '/metrics')).body;
    assert.match(metrics, /^# TYPE meshtap_packets_total counter\nmeshtap_packets_total 42$/m);
  });
});
