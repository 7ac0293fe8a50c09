import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NetnsResolver, type CommandRunner } from '../../src/resolve/netns.js';
import { tryTool } from '../helpers/tools.js';

describe('netns resolver: what it makes of ip(8) output', () => {
  test('no namespaces at all: `ip -j netns list` prints nothing', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return '';
    };
    const r = new NetnsResolver({ run });
    assert.deepEqual(await r.list(), []);
    assert.deepEqual(calls, [['ip', '-j', 'netns', 'list']]);
  });

  test('addresses of each namespace, without host-scope ones, named after the namespace', async () => {
    // Shapes as iproute2 6.1 prints them (`ip -j netns list`, `ip -n NS -j addr show`).
    const outputs: Record<string, string> = {
      'netns list': '[{"name":"blue","id":0},{"name":"red"}]',
      blue: JSON.stringify([
        { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
        {
          ifname: 'eth0',
          addr_info: [
            { family: 'inet', local: '10.1.0.2', prefixlen: 24, scope: 'global' },
            { family: 'inet6', local: 'fd00:0:0:0::2', prefixlen: 64, scope: 'global' },
            { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
          ],
        },
      ]),
      red: '[{"ifname":"lo","addr_info":[]}]',
    };
    const run: CommandRunner = async (_file, args) =>
      args[0] === '-n' ? outputs[args[1]] : outputs[args.slice(1).join(' ')];
    const r = new NetnsResolver({ run, namespace: 'lab' });
    const list = await r.list();
    assert.deepEqual(list.map((b) => b.address).sort(), ['10.1.0.2', 'fd00::2', 'fe80::1']);
    assert.deepEqual(r.resolve('10.1.0.2', 80), { name: 'blue', namespace: 'lab' });
    assert.equal(r.resolve('10.1.0.3', 80), undefined); // the subnet is not the pod
    assert.equal(r.resolve('127.0.0.1', undefined), undefined);
  });

  test('output that is not iproute2 JSON fails with RESOLVE_NETNS_FAILED', async () => {
    const r = new NetnsResolver({ run: async () => 'Object "netns" is unknown' });
    await assert.rejects(r.refresh(), { code: 'RESOLVE_NETNS_FAILED' });
    const missing = new NetnsResolver({ ipCommand: '/nonexistent/ip' });
    await assert.rejects(missing.refresh(), { code: 'RESOLVE_NETNS_FAILED' });
  });
});

/** A real namespace with a veth pair inside it; needs root (CAP_SYS_ADMIN) to create. */
const isRoot = process.getuid?.() === 0;
const NS = `mt-test-${randomBytes(4).toString('hex')}`;

describe(
  'netns resolver on a real namespace',
  { skip: isRoot ? false : 'needs root to create a network namespace' },
  () => {
    before(() => {
      const steps = [
        ['netns', 'add', NS],
        ['-n', NS, 'link', 'add', 'mt0', 'type', 'veth', 'peer', 'name', 'mt1'],
        ['-n', NS, 'addr', 'add', '10.203.0.7/24', 'dev', 'mt0'],
        ['-n', NS, 'addr', 'add', 'fd00:203::7/64', 'dev', 'mt0'],
        ['-n', NS, 'link', 'set', 'lo', 'up'],
      ];
      for (const args of steps) {
        const r = tryTool('ip', args);
        assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
      }
    });

    after(() => {
      tryTool('ip', ['netns', 'del', NS]);
    });

    test('addresses configured inside the namespace resolve to its name', async () => {
      const r = new NetnsResolver();
      const list = await r.list();
      const ours = list.filter((b) => b.name === NS).map((b) => b.address);
      assert.deepEqual(ours.sort(), ['10.203.0.7', 'fd00:203::7']);
      assert.deepEqual(r.resolve('10.203.0.7', 8080), { name: NS, namespace: 'netns' });
      assert.deepEqual(r.resolve('fd00:203:0::7', undefined), { name: NS, namespace: 'netns' });
      assert.equal(r.resolve('127.0.0.1', undefined), undefined);
    });
  },
);
