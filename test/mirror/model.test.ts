/**
 * Every bound and rule of the mirroring model (the seed's limits, MIRROR_LIMITS), accepted at
 * its edges and rejected one past them with its stable code, and nothing stored changed by
 * a rejected request. Expected normalised values are worked out by hand in the comments.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MirrorConfig } from '../../src/mirror/mirror-config.js';
import type { MirrorRule } from '../../src/mirror/types.js';
import { assertRejected, openConfig, type ConfigFixture } from './config-fixture.js';

let fx: ConfigFixture;
let config: MirrorConfig;
before(() => {
  fx = openConfig();
  config = fx.config;
});
after(() => fx.close());

const rejects = (call: () => unknown, code: string, what: string) => assertRejected(fx.db, call, code, what);
const freshFilter = () => config.createFilter({ name: 'f' }).id;
const x = (n: number, c = 'a') => c.repeat(n);
const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

describe('filter fields: name, description, tags', () => {
  test('accepted at the edges', () => {
    for (const name of ['a', x(128), 'name with spaces', 'ünïcødé ✓']) {
      assert.equal(config.createFilter({ name }).name, name);
    }
    assert.equal(config.createFilter({ name: 'd', description: x(256) }).description, x(256));
    assert.equal(config.createFilter({ name: 'd' }).description, '', 'description defaults to empty');
    const edge = [
      { key: x(128), value: x(128) },
      { key: 'empty-value', value: '' },
      { key: 'k', value: 'http:/x' }, // not a URL scheme: "http:/" lacks the second slash
    ];
    assert.deepEqual(config.createFilter({ name: 't', tags: edge }).tags, edge);
    assert.equal(config.createFilter({ name: 't', tags: tags(20) }).tags.length, 20);
  });

  test('rejected one past the edges, nothing stored', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ name: '' }, 'MIRROR_BAD_NAME', 'empty name'],
      [{ name: x(129) }, 'MIRROR_BAD_NAME', '129-character name'],
      [{ name: '   ' }, 'MIRROR_BAD_NAME', 'blank name'],
      [{ name: 'a\nb' }, 'MIRROR_BAD_NAME', 'control character'],
      [{ name: 'a\u007f' }, 'MIRROR_BAD_NAME', 'DEL'],
      [{ name: 'a\u0085' }, 'MIRROR_BAD_NAME', 'C1 control'],
      [{}, 'MIRROR_BAD_NAME', 'missing name'],
      [{ name: 7 }, 'MIRROR_BAD_NAME', 'number name'],
      [{ name: 'a', description: x(257) }, 'MIRROR_BAD_DESCRIPTION', '257-character description'],
      [{ name: 'a', description: 'a\tb' }, 'MIRROR_BAD_DESCRIPTION', 'tab in description'],
      [{ name: 'a', tags: tags(21) }, 'MIRROR_TOO_MANY_TAGS', '21 tags'],
      [{ name: 'a', tags: [{ key: '', value: 'v' }] }, 'MIRROR_BAD_TAG', 'empty key'],
      [{ name: 'a', tags: [{ key: x(129), value: 'v' }] }, 'MIRROR_BAD_TAG', '129-character key'],
      [{ name: 'a', tags: [{ key: 'k', value: x(129) }] }, 'MIRROR_BAD_TAG', '129-character value'],
      [{ name: 'a', tags: [{ key: 'see http://x', value: '' }] }, 'MIRROR_BAD_TAG', 'http:// in key'],
      [{ name: 'a', tags: [{ key: 'k', value: 'HTTPS://x' }] }, 'MIRROR_BAD_TAG', 'https:// in value'],
      [{ name: 'a', tags: [{ key: 'meshtap:owner', value: '' }] }, 'MIRROR_BAD_TAG', 'reserved prefix'],
      [{ name: 'a', tags: [{ key: 'MeshTap:x', value: '' }] }, 'MIRROR_BAD_TAG', 'reserved prefix, any case'],
      [{ name: 'a', tags: [{ key: 'k' }, { key: 'k', value: '2' }] }, 'MIRROR_BAD_TAG', 'duplicate key'],
      [{ name: 'a', tags: [{ key: 'k\u0000', value: '' }] }, 'MIRROR_BAD_TAG', 'NUL in key'],
      [{ name: 'a', tags: { k: 'v' } }, 'MIRROR_BAD_TAG', 'tags not a list'],
      [{ name: 'a', colour: 'red' }, 'MIRROR_BAD_REQUEST', 'unknown field'],
      [null, 'MIRROR_BAD_REQUEST', 'not an object'],
      [{ name: 'a', inbound: 'x' }, 'MIRROR_BAD_REQUEST', 'inbound not a list'],
    ];
    for (const [body, code, what] of cases) await rejects(() => config.createFilter(body), code, what);
    const id = freshFilter();
    await rejects(() => config.modifyFilter(id, { name: x(129) }), 'MIRROR_BAD_NAME', 'modify: long name');
    await rejects(
      () => config.modifyFilter(id, { tags: tags(21) }),
      'MIRROR_TOO_MANY_TAGS',
      'modify: 21 tags',
    );
    await rejects(() => config.modifyFilter(id, { inbound: [] }), 'MIRROR_BAD_REQUEST', 'modify: rules');
    await rejects(() => config.modifyFilter(99999, { name: 'n' }), 'MIRROR_FILTER_NOT_FOUND', 'no filter');
  });
});

const rule = (over: Record<string, unknown> = {}) => ({
  direction: 'outbound',
  priority: 1,
  protocol: 'TCP',
  sourceCidr: '10.0.0.0/8',
  destinationCidr: '0.0.0.0/0',
  policy: 'Collect',
  ...over,
});
/** Adds a rule to a new filter and returns it as stored. */
const added = (over: Record<string, unknown>): MirrorRule => config.addRule(freshFilter(), rule(over));

describe('rule fields', () => {
  test('priority 1..16777216', async () => {
    assert.equal(added({ priority: 1 }).priority, 1);
    assert.equal(added({ priority: 16_777_216 }).priority, 16_777_216);
    const id = freshFilter();
    for (const priority of [0, 16_777_217, -1, 1.5, '5', null]) {
      await rejects(
        () => config.addRule(id, rule({ priority })),
        'MIRROR_BAD_PRIORITY',
        `priority ${priority}`,
      );
    }
  });

  test('protocol ALL, ICMP, TCP, UDP (any case), direction inbound/outbound', async () => {
    for (const p of ['ALL', 'ICMP', 'TCP', 'UDP'])
      assert.equal(added({ protocol: p.toLowerCase() }).protocol, p);
    assert.equal(added({ direction: 'Inbound' }).direction, 'inbound');
    const id = freshFilter();
    for (const protocol of ['SCTP', '', 6, undefined]) {
      await rejects(
        () => config.addRule(id, rule({ protocol })),
        'MIRROR_BAD_PROTOCOL',
        `protocol ${protocol}`,
      );
    }
    for (const direction of ['both', 'in', undefined]) {
      await rejects(
        () => config.addRule(id, rule({ direction })),
        'MIRROR_BAD_DIRECTION',
        `direction ${direction}`,
      );
    }
  });

  test('CIDR blocks: IPv4 and IPv6, host bits cleared, prefix length bounds', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['10.1.2.3/8', '0.0.0.0/0', '10.0.0.0/8', '0.0.0.0/0'], // 10.1.2.3 & 255.0.0.0
      ['192.168.1.77/32', '192.168.1.77/31', '192.168.1.77/32', '192.168.1.76/31'], // 77 = 0b1001101
      ['10.0.0.1', '10.0.0.0/0', '10.0.0.1/32', '0.0.0.0/0'], // a bare address is a /32
      ['fd00::1/8', '::/0', 'fd00::/8', '::/0'],
      ['2001:DB8:0:0:0:0:0:1/128', '2001:db8::ff/120', '2001:db8::1/128', '2001:db8::/120'], // RFC 5952 text
      ['fe80::1', '::ffff:10.0.0.1/96', 'fe80::1/128', '::ffff:0.0.0.0/96'],
    ];
    for (const [src, dst, wantSrc, wantDst] of cases) {
      const r = added({ sourceCidr: src, destinationCidr: dst });
      assert.equal(r.sourceCidr, wantSrc, src);
      assert.equal(r.destinationCidr, wantDst, dst);
    }
    const id = freshFilter();
    for (const bad of [
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.256/8',
      'abc',
      '',
      '10.0.0.0/',
      '10.0.0.0/-1',
      'fe80::1%eth0/64',
      '10.0.0/8',
    ]) {
      await rejects(() => config.addRule(id, rule({ sourceCidr: bad })), 'MIRROR_BAD_CIDR', `cidr ${bad}`);
    }
    await rejects(
      () => config.addRule(id, rule({ destinationCidr: undefined })),
      'MIRROR_BAD_CIDR',
      'missing cidr',
    );
    await rejects(
      () => config.addRule(id, rule({ sourceCidr: 'fd00::/8', destinationCidr: '0.0.0.0/0' })),
      'MIRROR_CIDR_FAMILY_MISMATCH',
      'IPv6 source, IPv4 destination',
    );
  });

  test('port ranges: 0..65535, first <= last, -1/-1 any; only TCP and UDP', async () => {
    const ok: Array<[unknown, unknown]> = [
      ['0/0', { from: 0, to: 0 }],
      ['0/65535', { from: 0, to: 65535 }],
      ['65535/65535', { from: 65535, to: 65535 }],
      [' 1/200 ', { from: 1, to: 200 }],
      ['-1/-1', null],
      [null, null],
      [
        { from: 80, to: 80 },
        { from: 80, to: 80 },
      ],
      [{ from: -1, to: -1 }, null],
    ];
    for (const [text, want] of ok) {
      assert.deepEqual(added({ protocol: 'UDP', sourcePorts: text }).sourcePorts, want, JSON.stringify(text));
      assert.deepEqual(added({ destinationPorts: text }).destinationPorts, want, JSON.stringify(text));
    }
    assert.equal(added({ destinationPorts: undefined }).destinationPorts, null, 'left out: any port');
    const id = freshFilter();
    for (const bad of [
      '0/65536',
      '65536/65536',
      '200/1',
      '-1/5',
      '5/-1',
      '80',
      '1-200',
      '',
      'a/b',
      '1/2/3',
      80,
      { from: 2, to: 1 },
    ]) {
      for (const field of ['sourcePorts', 'destinationPorts']) {
        await rejects(
          () => config.addRule(id, rule({ [field]: bad })),
          'MIRROR_BAD_PORT_RANGE',
          `${field} ${JSON.stringify(bad)}`,
        );
      }
    }
    for (const protocol of ['ALL', 'ICMP']) {
      assert.equal(added({ protocol, sourcePorts: '-1/-1', destinationPorts: '-1/-1' }).sourcePorts, null);
      assert.equal(added({ protocol }).destinationPorts, null);
      for (const field of ['sourcePorts', 'destinationPorts']) {
        await rejects(
          () => config.addRule(id, rule({ protocol, [field]: '80/80' })),
          'MIRROR_PORTS_NOT_ALLOWED',
          `${protocol} with ${field}`,
        );
      }
    }
  });

  test('policy Collect or DoNotCollect, written any usual way', async () => {
    const spellings: Array<[string, string]> = [
      ['Collect', 'Collect'],
      ['collect', 'Collect'],
      ['DoNotCollect', 'DoNotCollect'],
      ['Do-not-collect', 'DoNotCollect'],
      ['do-not-collect', 'DoNotCollect'],
      ['DO-NOT-COLLECT', 'DoNotCollect'],
      ['Do not Collect', 'DoNotCollect'],
    ];
    for (const [policy, want] of spellings) assert.equal(added({ policy }).policy, want, policy);
    const id = freshFilter();
    for (const policy of ['Drop', 'Do-collect', '', undefined, 1]) {
      await rejects(() => config.addRule(id, rule({ policy })), 'MIRROR_BAD_POLICY', `policy ${policy}`);
    }
    await rejects(() => config.addRule(id, rule({ action: 'x' })), 'MIRROR_BAD_REQUEST', 'unknown field');
  });

  test('at most 10 rules per filter (inbound and outbound together)', async () => {
    const ten = (n: number) =>
      Array.from({ length: n }, (_, i) => rule({ direction: undefined, priority: i + 1 }));
    const f = config.createFilter({ name: 'ten', inbound: ten(5), outbound: ten(5) });
    assert.equal(f.inbound.length + f.outbound.length, 10);
    await rejects(
      () => config.addRule(f.id, rule({ priority: 99 })),
      'MIRROR_TOO_MANY_RULES',
      'eleventh rule',
    );
    await rejects(
      () => config.createFilter({ name: 'eleven', inbound: ten(6), outbound: ten(5) }),
      'MIRROR_TOO_MANY_RULES',
      'eleven at create',
    );
    assert.equal(config.createFilter({ name: 'in10', inbound: ten(10) }).inbound.length, 10);
    await rejects(
      () => config.createFilter({ name: 'a', inbound: [rule({ priority: 3 })] }),
      'MIRROR_BAD_REQUEST',
      'a rule inside a list must not name its direction',
    );
  });

  test('priority unique within a direction, shared across directions', async () => {
    const id = freshFilter();
    config.addRule(id, rule({ direction: 'inbound', priority: 10 }));
    config.addRule(id, rule({ direction: 'outbound', priority: 10 }));
    await rejects(
      () => config.addRule(id, rule({ direction: 'inbound', priority: 10, protocol: 'UDP' })),
      'MIRROR_DUPLICATE_PRIORITY',
      'second inbound 10',
    );
    const four = rule({ direction: undefined, priority: 4 });
    await rejects(
      () => config.createFilter({ name: 'dup', outbound: [four, { ...four, protocol: 'UDP' }] }),
      'MIRROR_DUPLICATE_PRIORITY',
      'at create',
    );
    const both = config.createFilter({ name: 'both', inbound: [four], outbound: [four] });
    assert.equal(both.inbound[0]!.priority, both.outbound[0]!.priority);
  });
});

describe('session fields', () => {
  let filterId: number;
  let priority = 1000;
  before(() => {
    filterId = freshFilter();
  });
  const session = (over: Record<string, unknown> = {}) => ({
    name: 's',
    priority: priority++,
    filterId,
    sources: ['netns:blue'],
    destination: '10.9.0.1',
    ...over,
  });
  const create = (over: Record<string, unknown>) => config.createSession(session(over));
  const reject = (over: Record<string, unknown>, code: string, what: string) =>
    rejects(() => config.createSession(session(over)), code, what);

  test('VNI 0..16777215', async () => {
    assert.equal((await create({ vni: 0 })).vni, 0);
    assert.equal((await create({ vni: 16_777_215 })).vni, 16_777_215);
    for (const vni of [-1, 16_777_216, 1.5, '7']) await reject({ vni }, 'MIRROR_BAD_VNI', `vni ${vni}`);
  });

  test('priority 1..32766', async () => {
    assert.equal((await create({ priority: 1 })).priority, 1);
    assert.equal((await create({ priority: 32_766 })).priority, 32_766);
    for (const p of [0, 32_767, 2.5, undefined])
      await reject({ priority: p }, 'MIRROR_BAD_SESSION_PRIORITY', `priority ${p}`);
  });

  test('packet length 64..8500, default 1500', async () => {
    assert.equal((await create({})).packetLength, 1500);
    assert.equal((await create({ packetLength: 64 })).packetLength, 64);
    assert.equal((await create({ packetLength: 8500 })).packetLength, 8500);
    for (const n of [63, 8501, 0, 100.5])
      await reject({ packetLength: n }, 'MIRROR_BAD_PACKET_LENGTH', `length ${n}`);
  });

  test('name, description, tags as for filters; filter must exist', async () => {
    assert.equal((await create({ name: x(128), description: x(256), tags: tags(20) })).tags.length, 20);
    await reject({ name: x(129) }, 'MIRROR_BAD_NAME', 'long name');
    await reject({ description: x(257) }, 'MIRROR_BAD_DESCRIPTION', 'long description');
    await reject({ tags: tags(21) }, 'MIRROR_TOO_MANY_TAGS', '21 tags');
    await reject({ tags: [{ key: 'k', value: 'https://x' }] }, 'MIRROR_BAD_TAG', 'URL tag');
    await reject({ filterId: 999_999 }, 'MIRROR_FILTER_NOT_FOUND', 'no such filter');
    await reject({ filterId: undefined }, 'MIRROR_BAD_FILTER', 'no filter');
    await reject({ filterId: 0 }, 'MIRROR_BAD_FILTER', 'filter 0');
    await reject({ state: 'Running' }, 'MIRROR_BAD_REQUEST', 'unknown field');
  });

  test('sources: interface:NAME, netns:NAME, netns:NAME/IFACE; 1..16, no duplicates', async () => {
    const s = await create({
      sources: [
        'interface:eth0',
        'netns:blue',
        'netns:red/veth1',
        { kind: 'netns', netns: 'g', interface: 'e' },
      ],
    });
    assert.deepEqual(s.sources, [
      { kind: 'interface', interface: 'eth0' },
      { kind: 'netns', netns: 'blue' },
      { kind: 'netns', netns: 'red', interface: 'veth1' },
      { kind: 'netns', netns: 'g', interface: 'e' },
    ]);
    const edges = [
      `interface:${x(15)}`,
      `netns:${x(64)}`,
      `netns:A-z_0.9/${x(15)}`,
      `interface:${x(7, 'é')}`,
    ];
    assert.equal((await create({ sources: edges })).sources.length, 4); // é is 2 bytes in UTF-8: 14 bytes
    const sixteen = Array.from({ length: 16 }, (_, i) => `netns:n${i}`);
    assert.equal((await create({ sources: sixteen })).sources.length, 16);
    await reject({ sources: [...sixteen, 'netns:n16'] }, 'MIRROR_TOO_MANY_SOURCES', '17 sources');
    await reject({ sources: [] }, 'MIRROR_BAD_SOURCE', 'no source');
    await reject({ sources: undefined }, 'MIRROR_BAD_SOURCE', 'sources missing');
    await reject({ sources: ['netns:a', 'netns:a'] }, 'MIRROR_DUPLICATE_SOURCE', 'duplicate');
    const bad = [
      'interface:',
      `interface:${x(16)}`, // IFNAMSIZ 16 includes the NUL
      `interface:${x(8, 'é')}`, // 16 bytes
      'interface:a/b',
      'interface:a b',
      'interface:a:b',
      'interface:.',
      'interface:..',
      'netns:',
      `netns:${x(65)}`,
      'netns:a$',
      'netns:a/',
      'netns:a/b/c',
      'pod:web',
      'eth0',
      ':eth0',
      7,
      { kind: 'interface' },
      { kind: 'netns', netns: 'a/b' },
    ];
    for (const source of bad)
      await reject({ sources: [source] }, 'MIRROR_BAD_SOURCE', `source ${JSON.stringify(source)}`);
  });

  test('destination: HOST[:PORT] (IPv4, [IPv6]), default port 4789, or a group of 2..16', async () => {
    const one: Array<[unknown, string, number]> = [
      ['10.0.0.9', '10.0.0.9', 4789],
      ['10.0.0.9:1', '10.0.0.9', 1],
      ['10.0.0.9:65535', '10.0.0.9', 65535],
      ['[fd00::9]:4790', 'fd00::9', 4790],
      ['[FD00:0::9]', 'fd00::9', 4789],
      ['fd00::9', 'fd00::9', 4789],
      [['10.0.0.9'], '10.0.0.9', 4789], // a list of one is that endpoint
      [{ host: 'fd00::9', port: 8472 }, 'fd00::9', 8472],
    ];
    for (const [destination, host, port] of one) {
      assert.deepEqual((await create({ destination })).destination, {
        kind: 'endpoint',
        endpoint: { host, port },
      });
    }
    const members = Array.from({ length: 16 }, (_, i) => `10.0.1.${i + 1}`);
    const g = (await create({ destination: members })).destination;
    assert.equal(g.kind === 'group' && g.members.length, 16);
    assert.equal((await create({ destination: ['10.0.0.1', '10.0.0.1:4790'] })).destination.kind, 'group');
    const bad = [
      '10.0.0.9:0',
      '10.0.0.9:65536',
      'collector.example:4789',
      '0.0.0.0',
      '::',
      '[::]:4789',
      '',
      '10.0.0.9:',
      '[fd00::9',
      '[fd00::9]x',
      'fe80::1%eth0',
      5,
    ];
    for (const d of bad)
      await reject({ destination: d }, 'MIRROR_BAD_DESTINATION', `destination ${JSON.stringify(d)}`);
    await reject({ destination: undefined }, 'MIRROR_BAD_DESTINATION', 'missing');
    await reject({ destination: [] }, 'MIRROR_BAD_DESTINATION', 'empty group');
    await reject({ destination: [...members, '10.0.1.17'] }, 'MIRROR_BAD_DESTINATION', '17 members');
    await reject(
      { destination: { kind: 'group', members: ['10.0.0.1'] } },
      'MIRROR_BAD_DESTINATION',
      'group of one',
    );
    await reject(
      { destination: ['10.0.0.1', '10.0.0.1:4789'] },
      'MIRROR_DUPLICATE_DESTINATION',
      'same endpoint twice',
    );
    await reject(
      { destination: ['[fd00::1]', 'FD00:0:0::1'] },
      'MIRROR_DUPLICATE_DESTINATION',
      'same IPv6 twice',
    );
  });
});
