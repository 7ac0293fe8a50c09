/**
 * MirrorConfig's operations: rules added, changed and removed; filters in use; VNI
 * allocation; session priority; start/stop; sources; the source-is-destination check;
 * change notifications; persistence across a restart; the host address lookup.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MirrorConfig } from '../../src/mirror/mirror-config.js';
import { hostAddressLookup } from '../../src/mirror/source-addresses.js';
import type { MirrorSource } from '../../src/mirror/types.js';
import { formatSource } from '../../src/mirror/validate-session.js';
import { MeshtapError } from '../../src/util/errors.js';
import { assertRejected, openConfig, storedState, type ConfigFixture } from './config-fixture.js';

let fx: ConfigFixture;
let config: MirrorConfig;
const rejects = (call: () => unknown, code: string, what: string) => assertRejected(fx.db, call, code, what);
const rule = (over: Record<string, unknown> = {}) => ({
  direction: 'outbound',
  priority: 10,
  protocol: 'TCP',
  sourceCidr: '10.0.0.0/8',
  destinationCidr: '0.0.0.0/0',
  sourcePorts: '1024/65535',
  destinationPorts: '80/80',
  policy: 'Collect',
  ...over,
});
const sessionBody = (filterId: number, over: Record<string, unknown> = {}) => ({
  name: 's',
  priority: 100,
  filterId,
  sources: ['netns:blue'],
  destination: '10.9.0.1',
  ...over,
});

describe('filters and rules', () => {
  beforeEach(() => {
    fx = openConfig();
    config = fx.config;
  });
  afterEach(() => fx.close());

  test('rules are added, modified and removed; rules come back by priority', async () => {
    const f = config.createFilter({
      name: 'web',
      description: 'http only',
      tags: [{ key: 'team', value: 'net' }],
    });
    assert.deepEqual([f.inbound, f.outbound], [[], []], 'a new filter has no rules (mirrors nothing)');
    const r20 = config.addRule(f.id, rule({ priority: 20 }));
    const r5 = config.addRule(f.id, rule({ priority: 5, protocol: 'UDP', destinationPorts: '53/53' }));
    config.addRule(
      f.id,
      rule({
        direction: 'inbound',
        priority: 5,
        protocol: 'ICMP',
        sourcePorts: null,
        destinationPorts: null,
      }),
    );
    const stored = config.getFilter(f.id);
    assert.deepEqual(
      stored.outbound.map((r) => r.priority),
      [5, 20],
    );
    assert.equal(stored.inbound.length, 1);

    const changed = config.modifyRule(f.id, r20.id, {
      policy: 'do-not-collect',
      destinationPorts: '8000/8080',
    });
    assert.deepEqual(
      { ...changed, id: 0 },
      { ...r20, id: 0, policy: 'DoNotCollect', destinationPorts: { from: 8000, to: 8080 } },
    );
    // Switching to ALL without naming ports clears them: ALL has no ports.
    const all = config.modifyRule(f.id, r20.id, { protocol: 'ALL' });
    assert.deepEqual([all.sourcePorts, all.destinationPorts], [null, null]);
    await rejects(
      () => config.modifyRule(f.id, r20.id, { protocol: 'ICMP', destinationPorts: '1/2' }),
      'MIRROR_PORTS_NOT_ALLOWED',
      'ICMP with ports',
    );
    await rejects(
      () => config.modifyRule(f.id, r20.id, { priority: 5 }),
      'MIRROR_DUPLICATE_PRIORITY',
      'onto r5',
    );
    await rejects(
      () => config.modifyRule(f.id, r5.id, { direction: 'inbound' }),
      'MIRROR_DUPLICATE_PRIORITY',
      'moving r5 inbound where 5 is taken',
    );
    assert.equal(
      config.modifyRule(f.id, r5.id, { priority: 5 }).priority,
      5,
      'its own priority is no conflict',
    );
    await rejects(
      () => config.modifyRule(f.id, r5.id, { sourceCidr: 'fd00::/8' }),
      'MIRROR_CIDR_FAMILY_MISMATCH',
      'v6/v4',
    );
    assert.equal(
      config.modifyRule(f.id, r5.id, { sourceCidr: 'fd00::/8', destinationCidr: '::/0' }).sourceCidr,
      'fd00::/8',
    );
    await rejects(
      () => config.modifyRule(f.id, r5.id, { filterId: 2 }),
      'MIRROR_BAD_REQUEST',
      'unknown field',
    );

    const other = config.createFilter({ name: 'other' });
    await rejects(
      () => config.modifyRule(other.id, r5.id, { priority: 6 }),
      'MIRROR_RULE_NOT_FOUND',
      "another filter's rule",
    );
    await rejects(() => config.removeRule(f.id, 9999), 'MIRROR_RULE_NOT_FOUND', 'no rule');
    await rejects(() => config.addRule(9999, rule()), 'MIRROR_FILTER_NOT_FOUND', 'no filter');
    assert.equal(config.removeRule(f.id, r5.id).id, r5.id);
    assert.deepEqual(
      config.getFilter(f.id).outbound.map((r) => r.id),
      [r20.id],
    );

    const renamed = config.modifyFilter(f.id, { name: 'web2', tags: [] });
    assert.deepEqual([renamed.name, renamed.description, renamed.tags], ['web2', 'http only', []]);
  });

  test('a filter a session uses cannot be deleted; then it can, with its rules', async () => {
    const f = config.createFilter({ name: 'f', inbound: [rule({ direction: undefined })] });
    const s = await config.createSession(sessionBody(f.id));
    await rejects(() => config.deleteFilter(f.id), 'MIRROR_IN_USE', 'in use');
    config.startSession(s.id);
    await rejects(() => config.deleteFilter(f.id), 'MIRROR_IN_USE', 'in use by a running session');
    config.deleteSession(s.id);
    assert.equal(config.deleteFilter(f.id).id, f.id);
    assert.deepEqual(fx.db.prepare('SELECT * FROM mirror_rules').all(), [], 'its rules went with it');
    await rejects(() => config.deleteFilter(f.id), 'MIRROR_FILTER_NOT_FOUND', 'deleted twice');
    await rejects(() => config.getFilter(f.id), 'MIRROR_FILTER_NOT_FOUND', 'gone');
  });
});

describe('sessions', () => {
  const addresses = new Map<string, string[]>();
  let filterId: number;
  beforeEach(() => {
    addresses.clear();
    fx = openConfig({ addressesOf: (s: MirrorSource) => addresses.get(formatSource(s)) ?? [] });
    config = fx.config;
    filterId = config.createFilter({ name: 'f' }).id;
  });
  afterEach(() => fx.close());

  test('VNIs left out are random, distinct and in range', async () => {
    const n = 300;
    const vnis = new Set<number>();
    for (let i = 1; i <= n; i++)
      vnis.add((await config.createSession(sessionBody(filterId, { priority: i }))).vni);
    assert.equal(vnis.size, n);
    for (const v of vnis) assert.ok(Number.isInteger(v) && v >= 0 && v <= 16_777_215, `vni ${v}`);
    const taken = [...vnis][0];
    await rejects(
      () => config.createSession(sessionBody(filterId, { priority: 999, vni: taken })),
      'MIRROR_DUPLICATE_VNI',
      'explicit VNI equal to an allocated one',
    );
  });

  test('a VNI already drawn is skipped (a random source that keeps repeating itself)', async () => {
    fx.close();
    fx = openConfig({ random: () => 7 });
    config = fx.config;
    filterId = config.createFilter({ name: 'f' }).id;
    const first = await config.createSession(sessionBody(filterId, { priority: 1 }));
    const second = await config.createSession(sessionBody(filterId, { priority: 2 }));
    const third = await config.createSession(sessionBody(filterId, { priority: 3, vni: 9 }));
    const fourth = await config.createSession(sessionBody(filterId, { priority: 4 }));
    // Every draw gives 7: the second scans up from 7 to 8; the fourth skips 7, 8 and 9 (explicit).
    assert.deepEqual([first.vni, second.vni, third.vni, fourth.vni], [7, 8, 9, 10]);
  });

  test('explicit VNI and priority are unique among sessions', async () => {
    const a = await config.createSession(sessionBody(filterId, { priority: 5, vni: 42 }));
    await rejects(
      () => config.createSession(sessionBody(filterId, { priority: 6, vni: 42 })),
      'MIRROR_DUPLICATE_VNI',
      'vni 42 twice',
    );
    await rejects(
      () => config.createSession(sessionBody(filterId, { priority: 5 })),
      'MIRROR_DUPLICATE_SESSION_PRIORITY',
      'priority 5 twice',
    );
    const b = await config.createSession(sessionBody(filterId, { priority: 6 }));
    await rejects(
      () => config.modifySession(b.id, { priority: 5 }),
      'MIRROR_DUPLICATE_SESSION_PRIORITY',
      'modify onto 5',
    );
    await rejects(() => config.modifySession(b.id, { vni: 42 }), 'MIRROR_DUPLICATE_VNI', 'modify onto 42');
    const same = await config.modifySession(a.id, { priority: 5, vni: 42, name: 'renamed' });
    assert.deepEqual([same.priority, same.vni, same.name], [5, 42, 'renamed']);
  });

  test('created Stopped; start and stop; running sessions by priority with their filters', async () => {
    const f2 = config.createFilter({ name: 'f2', outbound: [rule({ direction: undefined })] });
    const low = await config.createSession(sessionBody(filterId, { priority: 300 }));
    const high = await config.createSession(sessionBody(f2.id, { priority: 2 }));
    assert.equal(low.state, 'Stopped');
    assert.deepEqual(config.runningSessions(), []);
    let changes = 0;
    const unsubscribe = config.onChange(() => changes++);
    assert.equal(config.startSession(low.id).state, 'Running');
    assert.equal(config.startSession(high.id).state, 'Running');
    assert.equal(changes, 2);
    config.startSession(high.id);
    assert.equal(changes, 2, 'starting a running session changes nothing');
    const running = config.runningSessions();
    assert.deepEqual(
      running.map((r) => [r.session.id, r.filter.id]),
      [
        [high.id, f2.id],
        [low.id, filterId],
      ],
    );
    assert.deepEqual(running[0]!.filter.outbound.length, 1);
    assert.equal(config.stopSession(low.id).state, 'Stopped');
    assert.deepEqual(
      config.runningSessions().map((r) => r.session.id),
      [high.id],
    );
    await rejects(() => config.startSession(999), 'MIRROR_SESSION_NOT_FOUND', 'start missing');
    assert.equal(changes, 3, 'a rejected call is no change');
    assert.equal(config.deleteSession(high.id).state, 'Running');
    assert.deepEqual(config.runningSessions(), [], 'deleting a running session stops it');
    assert.equal(changes, 4);
    unsubscribe();
    config.startSession(low.id);
    assert.equal(changes, 4, 'unsubscribed');
    await rejects(() => config.getSession(high.id), 'MIRROR_SESSION_NOT_FOUND', 'deleted');
  });

  test('sources are added and removed; the last may go; duplicates and a 17th refused', async () => {
    const s = await config.createSession(sessionBody(filterId, { sources: ['netns:blue'] }));
    const two = await config.addSource(s.id, 'netns:red/veth1');
    assert.deepEqual(two.sources.map(formatSource), ['netns:blue', 'netns:red/veth1']);
    await rejects(() => config.addSource(s.id, 'netns:red/veth1'), 'MIRROR_DUPLICATE_SOURCE', 'again');
    await rejects(() => config.addSource(s.id, 'netns:red/'), 'MIRROR_BAD_SOURCE', 'bad source');
    await rejects(() => config.addSource(999, 'netns:x'), 'MIRROR_SESSION_NOT_FOUND', 'no session');
    await rejects(() => config.removeSource(s.id, 'netns:green'), 'MIRROR_SOURCE_NOT_FOUND', 'not a source');
    assert.deepEqual(config.removeSource(s.id, { kind: 'netns', netns: 'blue' }).sources.map(formatSource), [
      'netns:red/veth1',
    ]);
    config.startSession(s.id);
    const none = config.removeSource(s.id, 'netns:red/veth1');
    assert.deepEqual([none.sources, none.state], [[], 'Running'], 'running with no source: mirrors nothing');
    for (let i = 0; i < 16; i++) await config.addSource(s.id, `interface:eth${i}`);
    await rejects(() => config.addSource(s.id, 'interface:eth16'), 'MIRROR_TOO_MANY_SOURCES', '17th');
  });

  test('a source cannot be a destination (addresses from the injected lookup)', async () => {
    addresses.set('netns:blue', ['10.1.0.2', 'fd00::2']);
    addresses.set('interface:lo', ['127.0.0.1', '::1']);
    const body = (over: Record<string, unknown>) =>
      sessionBody(filterId, { sources: ['netns:blue'], ...over });
    for (const destination of ['10.1.0.2', '10.1.0.2:9999', '[fd00:0:0::2]:4789', ['10.5.5.5', '10.1.0.2']]) {
      await rejects(
        () => config.createSession(body({ destination })),
        'MIRROR_SOURCE_IS_DESTINATION',
        JSON.stringify(destination),
      );
    }
    const s = await config.createSession(body({ destination: '10.1.0.3' }));
    assert.equal((await config.addSource(s.id, 'interface:lo')).sources.length, 2, 'lo is not 10.1.0.3');
    for (const destination of ['fd00::2', '127.0.0.1:4789']) {
      await rejects(
        () => config.modifySession(s.id, { destination }),
        'MIRROR_SOURCE_IS_DESTINATION',
        destination,
      );
    }
    addresses.set('interface:eth9', ['10.1.0.3']);
    await rejects(() => config.addSource(s.id, 'interface:eth9'), 'MIRROR_SOURCE_IS_DESTINATION', 'add eth9');
    assert.equal(
      (await config.modifySession(s.id, { destination: ['10.1.0.3', '10.1.0.4'] })).destination.kind,
      'group',
    );
  });

  test('a change waiting for the address lookup sees a source removed meanwhile', async () => {
    let release: (a: string[]) => void = () => undefined;
    let lookup: Promise<string[]> = Promise.resolve([]);
    fx.close();
    fx = openConfig({ addressesOf: () => lookup });
    config = fx.config;
    filterId = config.createFilter({ name: 'f' }).id;
    const s = await config.createSession(sessionBody(filterId, { sources: ['netns:a', 'netns:b'] }));
    lookup = new Promise<string[]>((r) => (release = r));
    const adding = config.addSource(s.id, 'netns:c');
    await new Promise((r) => setImmediate(r));
    config.removeSource(s.id, 'netns:a');
    release([]);
    assert.deepEqual((await adding).sources.map(formatSource), ['netns:b', 'netns:c']);
  });

  test('modify: filter, packet length, destination, tags; unknown fields and missing filters refused', async () => {
    const other = config.createFilter({ name: 'other' });
    const s = await config.createSession(sessionBody(filterId));
    const m = await config.modifySession(s.id, {
      filterId: other.id,
      packetLength: 128,
      destination: '[fd00::77]:4790',
      tags: [{ key: 'env', value: 'lab' }],
      description: 'to the lab collector',
    });
    assert.deepEqual(
      [m.filterId, m.packetLength, m.destination, m.tags, m.description, m.sources, m.vni, m.state],
      [
        other.id,
        128,
        { kind: 'endpoint', endpoint: { host: 'fd00::77', port: 4790 } },
        [{ key: 'env', value: 'lab' }],
        'to the lab collector',
        s.sources,
        s.vni,
        'Stopped',
      ],
    );
    await rejects(
      () => config.modifySession(s.id, { filterId: 9999 }),
      'MIRROR_FILTER_NOT_FOUND',
      'no filter',
    );
    await rejects(
      () => config.modifySession(s.id, { sources: [] }),
      'MIRROR_BAD_REQUEST',
      'sources via add/remove',
    );
    await rejects(
      () => config.modifySession(s.id, { packetLength: 8501 }),
      'MIRROR_BAD_PACKET_LENGTH',
      'length',
    );
    await rejects(() => config.modifySession(9999, { name: 'x' }), 'MIRROR_SESSION_NOT_FOUND', 'no session');
  });

  test('everything survives a restart (close and reopen the database)', async () => {
    const f = config.createFilter({
      name: 'persist',
      tags: [{ key: 'a', value: 'b' }],
      inbound: [rule({ direction: undefined, sourceCidr: 'fd00::/16', destinationCidr: '::/0' })],
      outbound: [
        rule({ direction: undefined, protocol: 'ALL', sourcePorts: undefined, destinationPorts: undefined }),
      ],
    });
    const s = await config.createSession(
      sessionBody(f.id, {
        destination: ['10.0.0.1', '[fd00::1]:8472'],
        sources: ['netns:a/eth0', 'interface:br0'],
      }),
    );
    config.startSession(s.id);
    const before = {
      filters: config.listFilters(),
      sessions: config.listSessions(),
      rows: storedState(fx.db),
    };
    const reopened = fx.reopen();
    assert.deepEqual(
      { filters: reopened.listFilters(), sessions: reopened.listSessions(), rows: storedState(fx.db) },
      before,
    );
    assert.deepEqual(
      reopened.runningSessions().map((r) => r.session.id),
      [s.id],
    );
    // Ids are never reused: a new filter after a deletion gets a new id.
    const g = reopened.createFilter({ name: 'g' });
    reopened.deleteFilter(g.id);
    assert.ok(reopened.createFilter({ name: 'h' }).id > g.id);
  });
});

describe('hostAddressLookup (iproute2 JSON)', () => {
  // Hand-written in the shape `ip -j addr show` prints (iproute2 5.x/6.x).
  const hostLinks = JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    {
      ifname: 'eth0',
      addr_info: [
        { family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global' },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      ],
    },
  ]);
  const nsLinks = JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    { ifname: 'veth1', addr_info: [{ family: 'inet', local: '10.1.0.2', prefixlen: 24, scope: 'global' }] },
  ]);
  const calls: string[][] = [];
  const lookup = hostAddressLookup({
    run: async (file, args) => {
      calls.push([file, ...args]);
      if (args.join(' ') === '-j addr show') return hostLinks;
      if (args.join(' ') === '-j netns list') return JSON.stringify([{ name: 'blue' }]);
      if (args.join(' ') === '-n blue -j addr show') return nsLinks;
      throw new MeshtapError('RESOLVE_NETNS_FAILED', 'ip failed');
    },
  });

  test('interface, whole namespace (no host scope), namespace interface, missing namespace', async () => {
    assert.deepEqual(await lookup({ kind: 'interface', interface: 'eth0' }), ['192.0.2.10', 'fe80::1']);
    assert.deepEqual(await lookup({ kind: 'interface', interface: 'lo' }), ['127.0.0.1']);
    assert.deepEqual(await lookup({ kind: 'interface', interface: 'nope0' }), []);
    assert.deepEqual(await lookup({ kind: 'netns', netns: 'blue' }), ['10.1.0.2']);
    assert.deepEqual(await lookup({ kind: 'netns', netns: 'blue', interface: 'lo' }), ['127.0.0.1']);
    assert.deepEqual(await lookup({ kind: 'netns', netns: 'green' }), []);
    assert.ok(calls.every((c) => c[0] === 'ip'));
  });

  test('a failing or garbled ip is MIRROR_ADDRESS_LOOKUP_FAILED', async () => {
    const failing = hostAddressLookup({ run: async () => Promise.reject(new Error('no ip')) });
    await assert.rejects(async () => failing({ kind: 'interface', interface: 'eth0' }), {
      code: 'MIRROR_ADDRESS_LOOKUP_FAILED',
    });
    const garbled = hostAddressLookup({ run: async () => '{"not": "an array"}' });
    await assert.rejects(async () => garbled({ kind: 'interface', interface: 'eth0' }), {
      code: 'MIRROR_ADDRESS_LOOKUP_FAILED',
    });
  });

  test('the real ip: the loopback interface has 127.0.0.1', async () => {
    assert.ok((await hostAddressLookup()({ kind: 'interface', interface: 'lo' })).includes('127.0.0.1'));
  });
});
