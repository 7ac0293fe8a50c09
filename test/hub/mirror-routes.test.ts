/**
 * The mirroring REST API on a real hub (buildHub + app.inject): status codes and error
 * bodies, counters in session JSON, the OpenAPI document; then the `meshtap mirror` CLI
 * against the hub listening on loopback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerMirrorCommand } from '../../src/cli/mirror.js';
import { CaptureTaskManager } from '../../src/capture/task-manager.js';
import { mirrorRoutes } from '../../src/hub/routes/mirror.js';
import { buildHub } from '../../src/hub/server.js';
import { MirrorConfig } from '../../src/mirror/mirror-config.js';
import type { MirrorCounters } from '../../src/mirror/types.js';
import { openStoreDatabase, type StoreDatabase } from '../../src/store/database.js';
import { MeshtapError } from '../../src/util/errors.js';

const TOKEN = 'a'.repeat(64);
const COUNTERS: MirrorCounters = { matched: 5, mirrored: 4, truncated: 1, sentBytes: 999, sendErrors: 0 };

describe('hub mirroring API and CLI', () => {
  let dir: string;
  let db: StoreDatabase;
  let app: FastifyInstance;
  let config: MirrorConfig;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-mirror-hub-'));
    db = openStoreDatabase(join(dir, 'hub.sqlite'));
    config = new MirrorConfig(db, {
      addressesOf: (s) => {
        if (s.kind === 'netns' && s.netns === 'broken') {
          throw new MeshtapError('MIRROR_ADDRESS_LOOKUP_FAILED', 'ip exited with status 1');
        }
        return s.kind === 'netns' && s.netns === 'blue' ? ['10.1.0.2'] : [];
      },
    });
    app = await buildHub({
      token: TOKEN,
      tasks: new CaptureTaskManager({ db, dir: join(dir, 'captures') }),
      graphs: () => [],
      metrics: () => [],
      routes: [
        (a) =>
          mirrorRoutes(a, config, {
            counters: (id) =>
              config.listSessions().find((s) => s.id === id)?.state === 'Running' ? COUNTERS : null,
          }),
      ],
    });
  });
  after(async () => {
    await app?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      payload: payload as never,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
  };
  const stored = () =>
    JSON.stringify(
      ['mirror_filters', 'mirror_rules', 'mirror_sessions'].map((t) =>
        db.prepare(`SELECT * FROM ${t}`).all(),
      ),
    );
  /** Asserts status and code of an error response and that nothing stored changed. */
  const refused = async (
    method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
    url: string,
    payload: unknown,
    status: number,
    code: string,
  ) => {
    const before = stored();
    const res = await call(method, url, payload);
    assert.equal(
      res.status,
      status,
      `${method} ${url} ${JSON.stringify(payload)}: ${JSON.stringify(res.body)}`,
    );
    assert.equal(res.body.error.code, code, `${method} ${url}: ${res.body.error.message}`);
    assert.equal(typeof res.body.error.message, 'string');
    assert.equal(stored(), before, `${method} ${url}: stored configuration changed`);
  };

  test('filters and rules: 201, 200, 400, 404, 409', async () => {
    const created = await call('POST', '/api/mirror/filters', {
      name: 'web',
      tags: [{ key: 'team', value: 'net' }],
      outbound: [
        {
          priority: 10,
          protocol: 'tcp',
          sourceCidr: '10.1.2.3/8',
          destinationCidr: '0.0.0.0/0',
          destinationPorts: '80/80',
          policy: 'Collect',
        },
      ],
    });
    assert.equal(created.status, 201);
    const f = created.body;
    assert.equal(f.outbound[0].sourceCidr, '10.0.0.0/8');
    assert.deepEqual(f.outbound[0].destinationPorts, { from: 80, to: 80 });
    assert.equal(f.outbound[0].sourcePorts, null);
    assert.deepEqual(f.tags, [{ key: 'team', value: 'net' }]);

    const rule = {
      direction: 'inbound',
      priority: 10,
      protocol: 'ICMP',
      sourceCidr: '::/0',
      destinationCidr: 'fd00::/8',
      policy: 'Do-not-collect',
    };
    const added = await call('POST', `/api/mirror/filters/${f.id}/rules`, rule);
    assert.equal(added.status, 201);
    assert.equal(added.body.policy, 'DoNotCollect');
    await refused('POST', `/api/mirror/filters/${f.id}/rules`, rule, 409, 'MIRROR_DUPLICATE_PRIORITY');
    await refused(
      'POST',
      `/api/mirror/filters/${f.id}/rules`,
      { ...rule, priority: 11, sourceCidr: '1.2.3.4/40' },
      400,
      'MIRROR_BAD_CIDR',
    );
    await refused(
      'POST',
      `/api/mirror/filters/${f.id}/rules`,
      { ...rule, priority: 11, protocol: 'ALL', sourcePorts: '1/2' },
      400,
      'MIRROR_PORTS_NOT_ALLOWED',
    );
    await refused(
      'POST',
      `/api/mirror/filters/${f.id}/rules`,
      { ...rule, priority: 0 },
      400,
      'MIRROR_BAD_PRIORITY',
    );
    await refused('POST', `/api/mirror/filters/${f.id}/rules`, { ...rule, bogus: 1 }, 400, 'HUB_BAD_REQUEST');
    await refused('POST', '/api/mirror/filters/999/rules', rule, 404, 'MIRROR_FILTER_NOT_FOUND');
    await refused('POST', '/api/mirror/filters', { name: '' }, 400, 'MIRROR_BAD_NAME');

    const patched = await call('PATCH', `/api/mirror/filters/${f.id}/rules/${added.body.id}`, {
      policy: 'Collect',
      priority: 12,
    });
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.policy, patched.body.priority], ['Collect', 12]);
    await refused(
      'PATCH',
      `/api/mirror/filters/${f.id}/rules/999`,
      { priority: 3 },
      404,
      'MIRROR_RULE_NOT_FOUND',
    );
    const renamed = await call('PATCH', `/api/mirror/filters/${f.id}`, { description: 'web traffic' });
    assert.deepEqual(
      [renamed.status, renamed.body.name, renamed.body.description],
      [200, 'web', 'web traffic'],
    );

    assert.equal((await call('DELETE', `/api/mirror/filters/${f.id}/rules/${added.body.id}`)).status, 200);
    const got = await call('GET', `/api/mirror/filters/${f.id}`);
    assert.deepEqual([got.status, got.body.inbound.length, got.body.outbound.length], [200, 0, 1]);
    const list = await call('GET', '/api/mirror/filters');
    assert.deepEqual(
      list.body.map((x: { id: number }) => x.id),
      [f.id],
    );
    await refused('GET', '/api/mirror/filters/999', undefined, 404, 'MIRROR_FILTER_NOT_FOUND');
    await refused('GET', '/api/mirror/filters/abc', undefined, 400, 'HUB_BAD_REQUEST');
  });

  test('sessions: create Stopped, start with counters, sources, in-use filter, delete', async () => {
    const f = (await call('POST', '/api/mirror/filters', { name: 'all' })).body;
    const body = {
      name: 'mirror-blue',
      filterId: f.id,
      priority: 1,
      sources: ['netns:blue'],
      destination: '192.0.2.9',
    };
    const created = await call('POST', '/api/mirror/sessions', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const s = created.body;
    assert.deepEqual([s.state, s.packetLength, s.counters], ['Stopped', 1500, null]);
    assert.deepEqual(s.destination, { kind: 'endpoint', endpoint: { host: '192.0.2.9', port: 4789 } });
    assert.deepEqual(s.sources, [{ kind: 'netns', netns: 'blue' }]);
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, vni: s.vni, priority: 2 },
      409,
      'MIRROR_DUPLICATE_VNI',
    );
    await refused('POST', '/api/mirror/sessions', body, 409, 'MIRROR_DUPLICATE_SESSION_PRIORITY');
    // The hub failing to read a source's addresses is its own fault: 500, not the caller's 400.
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, priority: 3, sources: ['netns:broken'] },
      500,
      'MIRROR_ADDRESS_LOOKUP_FAILED',
    );
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, priority: 2, destination: '10.1.0.2' },
      400,
      'MIRROR_SOURCE_IS_DESTINATION',
    );
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, priority: 2, vni: 16_777_216 },
      400,
      'MIRROR_BAD_VNI',
    );
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, priority: 2, filterId: 999 },
      404,
      'MIRROR_FILTER_NOT_FOUND',
    );
    await refused(
      'POST',
      '/api/mirror/sessions',
      { ...body, priority: 2, sources: ['netns:a', 'netns:a'] },
      409,
      'MIRROR_DUPLICATE_SOURCE',
    );

    // `vni: null` asks for a random VNI: it must not be coerced to 0 (taken here, so 409 if it were).
    const zero = await call('POST', '/api/mirror/sessions', { ...body, priority: 3, vni: 0 });
    const random = await call('POST', '/api/mirror/sessions', { ...body, priority: 4, vni: null });
    assert.deepEqual([zero.status, random.status], [201, 201], JSON.stringify(random.body));
    assert.notEqual(random.body.vni, 0);
    for (const id of [zero.body.id, random.body.id]) {
      assert.equal((await call('DELETE', `/api/mirror/sessions/${id}`)).status, 200);
    }
    const started = await call('POST', `/api/mirror/sessions/${s.id}/start`);
    assert.deepEqual([started.status, started.body.state, started.body.counters], [200, 'Running', COUNTERS]);
    const listed = await call('GET', '/api/mirror/sessions');
    assert.deepEqual(listed.body[0].counters, COUNTERS);

    const more = await call('POST', `/api/mirror/sessions/${s.id}/sources`, { source: 'netns:red/veth1' });
    assert.deepEqual(more.body.sources[1], { kind: 'netns', netns: 'red', interface: 'veth1' });
    await refused(
      'POST',
      `/api/mirror/sessions/${s.id}/sources`,
      { source: 'netns:red/veth1' },
      409,
      'MIRROR_DUPLICATE_SOURCE',
    );
    await refused(
      'POST',
      `/api/mirror/sessions/${s.id}/sources`,
      { source: 'pod:x' },
      400,
      'MIRROR_BAD_SOURCE',
    );
    const fewer = await call(
      'DELETE',
      `/api/mirror/sessions/${s.id}/sources?source=${encodeURIComponent('netns:red/veth1')}`,
    );
    assert.deepEqual([fewer.status, fewer.body.sources.length], [200, 1]);
    await refused(
      'DELETE',
      `/api/mirror/sessions/${s.id}/sources?source=netns:nope`,
      undefined,
      404,
      'MIRROR_SOURCE_NOT_FOUND',
    );
    await refused('DELETE', `/api/mirror/sessions/${s.id}/sources`, undefined, 400, 'HUB_BAD_REQUEST');

    const modified = await call('PATCH', `/api/mirror/sessions/${s.id}`, {
      packetLength: 64,
      destination: ['192.0.2.9', '[2001:db8::9]:4790'],
    });
    assert.equal(modified.status, 200);
    assert.deepEqual(modified.body.destination.members, [
      { host: '192.0.2.9', port: 4789 },
      { host: '2001:db8::9', port: 4790 },
    ]);
    await refused(
      'PATCH',
      `/api/mirror/sessions/${s.id}`,
      { packetLength: 63 },
      400,
      'MIRROR_BAD_PACKET_LENGTH',
    );
    await refused('DELETE', `/api/mirror/filters/${f.id}`, undefined, 409, 'MIRROR_IN_USE');

    const stopped = await call('POST', `/api/mirror/sessions/${s.id}/stop`);
    assert.deepEqual([stopped.body.state, stopped.body.counters], ['Stopped', null]);
    assert.equal((await call('DELETE', `/api/mirror/sessions/${s.id}`)).status, 200);
    await refused('GET', `/api/mirror/sessions/${s.id}`, undefined, 404, 'MIRROR_SESSION_NOT_FOUND');
    await refused('POST', `/api/mirror/sessions/${s.id}/start`, undefined, 404, 'MIRROR_SESSION_NOT_FOUND');
    assert.equal((await call('DELETE', `/api/mirror/filters/${f.id}`)).status, 200);
  });

  test('the token is required; the OpenAPI document lists the mirror paths under "mirroring"', async () => {
    assert.equal((await app.inject({ url: '/api/mirror/sessions' })).statusCode, 401);
    const doc = (await call('GET', '/api/openapi.json')).body;
    const paths = [
      '/api/mirror/filters',
      '/api/mirror/filters/{id}',
      '/api/mirror/filters/{id}/rules',
      '/api/mirror/filters/{id}/rules/{ruleId}',
      '/api/mirror/sessions',
      '/api/mirror/sessions/{id}',
      '/api/mirror/sessions/{id}/start',
      '/api/mirror/sessions/{id}/stop',
      '/api/mirror/sessions/{id}/sources',
    ];
    for (const p of paths) {
      assert.ok(doc.paths[p], p);
      for (const op of Object.values(doc.paths[p]) as Array<{ tags: string[] }>)
        assert.deepEqual(op.tags, ['mirroring']);
    }
    assert.deepEqual(Object.keys(doc.paths['/api/mirror/sessions/{id}']).sort(), ['delete', 'get', 'patch']);
  });

  test('meshtap mirror filter/rule/session against the listening hub', async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const hub = ['--hub', url, '--token', TOKEN, '--data', dir];
    // One command line per string; the words have no spaces inside.
    const runs = [
      'filter create --name cli-filter --tag env=lab',
      'rule add LAST_FILTER --direction outbound --priority 10 --protocol TCP --source 10.0.0.0/8 --destination 0.0.0.0/0 --source-ports -1/-1 --destination-ports 80/80 --policy Collect',
      'rule add LAST_FILTER --direction outbound --priority 10 --protocol UDP --source 10.0.0.0/8 --destination 0.0.0.0/0 --policy Collect',
      'filter get LAST_FILTER',
      'session create --name cli-session --filter LAST_FILTER --priority 7 --vni 0 --source netns:blue --source interface:eth1 --destination 192.0.2.50 --destination 192.0.2.51:4790 --packet-length 128',
      'session start LAST_SESSION',
      'session list',
      'session remove-source LAST_SESSION interface:eth1',
      'session delete LAST_SESSION',
      'rule add LAST_FILTER --direction outbound',
    ].map((line) => line.split(' '));
    const out: CliResult[] = [];
    const last = (list: Array<{ id: number }>) => String(list.at(-1)?.id ?? 0);
    for (const run of runs) {
      const args = run.map((a) =>
        a === 'LAST_FILTER'
          ? last(config.listFilters())
          : a === 'LAST_SESSION'
            ? last(config.listSessions())
            : a,
      );
      out.push(await runMirrorCli([...args, ...hub]));
    }
    assert.deepEqual(
      out.map((o) => o.status),
      [0, 0, 1, 0, 0, 0, 0, 0, 0, 2], // a hub error exits 1, a missing option 2
      JSON.stringify(out, null, 1),
    );
    assert.match(out[0]!.stdout, /name\s+cli-filter/);
    assert.match(out[0]!.stdout, /tags\s+env=lab/);
    assert.match(
      out[1]!.stdout,
      /outbound\s+10\s+\d+\s+TCP\s+10\.0\.0\.0\/8\s+0\.0\.0\.0\/0\s+-1\/-1\s+80\/80\s+Collect/,
    );
    assert.match(out[2]!.stderr, /\[MIRROR_DUPLICATE_PRIORITY\]/);
    assert.match(out[3]!.stdout, /DIRECTION\s+PRIORITY/);
    assert.match(out[4]!.stdout, /state\s+Stopped/);
    assert.match(out[4]!.stdout, /vni\s+0\n/);
    assert.match(out[4]!.stdout, /destination\s+group of 2: 192\.0\.2\.50:4789, 192\.0\.2\.51:4790/);
    assert.match(out[5]!.stdout, /matched\s+5\n/);
    assert.match(out[6]!.stdout, /MATCHED\s+MIRRORED/);
    assert.match(
      out[6]!.stdout,
      /cli-session\s+Running\s+7\s+0\s+128\s+\d+\s+5\s+4\s+1\s+999\s+0\s+netns:blue,interface:eth1/,
    );
    assert.match(out[7]!.stdout, /sources\s+netns:blue\n/);
    assert.match(out[8]!.stdout, /deleted session/);
    assert.match(out[9]!.stderr, /required option/);
  });
});

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `meshtap mirror ...` command line in this process (a child would spend seconds
 * compiling the CLI) and captures what it prints. Only string writes are captured: the test
 * runner's own reports to stdout are binary and pass through. Errors are reported as
 * program.ts reports them: message [CODE]; status 2 for commander's usage errors, 1 otherwise.
 */
async function runMirrorCli(args: string[]): Promise<CliResult> {
  const program = new Command('meshtap')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerMirrorCommand(program);
  const result: CliResult = { status: 0, stdout: '', stderr: '' };
  const realOut = process.stdout.write;
  const realErr = process.stderr.write;
  const capture = (real: typeof realOut, key: 'stdout' | 'stderr') =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk !== 'string') return (real as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      result[key] += chunk;
      return true;
    } as typeof realOut;
  process.stdout.write = capture(realOut, 'stdout');
  process.stderr.write = capture(realErr, 'stderr');
  try {
    await program.parseAsync(['node', 'meshtap', 'mirror', ...args]);
  } catch (err) {
    if (err instanceof CommanderError) result.status = 2;
    else {
      result.status = 1;
      result.stderr += `meshtap: ${(err as MeshtapError).message} [${(err as MeshtapError).code}]\n`;
    }
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  return result;
}
