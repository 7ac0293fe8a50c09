import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddressPattern, parseAddressPattern } from '../../src/resolve/address.js';
import { InventoryResolver } from '../../src/resolve/inventory.js';

describe('address patterns', () => {
  test('IP, CIDR and port forms parse to canonical text', () => {
    const cases: Array<[string, string, number, number | undefined]> = [
      ['10.0.0.5', '10.0.0.5', 32, undefined],
      ['10.1.2.3/8', '10.0.0.0/8', 8, undefined], // host bits are masked off
      ['10.0.0.5:8080', '10.0.0.5:8080', 32, 8080],
      ['10.0.0.0/24:53', '10.0.0.0/24:53', 24, 53],
      ['FD00:0:0::1', 'fd00::1', 128, undefined], // RFC 5952: lower case, :: for the zero run
      ['[fd00::1]:443', '[fd00::1]:443', 128, 443],
      ['fd00:1:2:3::/48', 'fd00:1:2::/48', 48, undefined],
      ['[2001:db8::/32]:80', '[2001:db8::/32]:80', 32, 80],
      ['0.0.0.0/0', '0.0.0.0/0', 0, undefined],
    ];
    for (const [text, canonical, prefixLen, port] of cases) {
      const p = parseAddressPattern(text);
      assert.equal(formatAddressPattern(p), canonical, text);
      assert.equal(p.prefixLen, prefixLen, text);
      assert.equal(p.port, port, text);
    }
  });

  test('bad patterns fail with RESOLVE_BAD_ADDRESS', () => {
    for (const bad of [
      '10.0.0',
      '10.0.0.256',
      '10.0.0.1/33',
      'fd00::1/129',
      '10.0.0.1:70000',
      '[fd00::1',
      'host',
      '10.0.0.1:x',
    ]) {
      assert.throws(() => parseAddressPattern(bad), { code: 'RESOLVE_BAD_ADDRESS' }, bad);
    }
  });
});

const INVENTORY_YAML = `
# cluster-wide default, a service subnet, two pods, a port-specific service on one pod
10.0.0.0/8: { name: corp, namespace: default }
10.96.0.0/12: { name: services, namespace: kube-system }
10.1.2.3: { name: front-end, namespace: sock-shop }
"10.1.2.4": { name: catalogue, namespace: sock-shop }
"10.1.2.4:9090": { name: catalogue-metrics, namespace: sock-shop }
"10.1.0.0/16:9090": { name: metrics-any, namespace: monitoring }
fd00::/64: { name: v6-net, namespace: lab }
"[fd00::7]:443": { name: gateway, namespace: edge }
fd00::7: { name: gateway-host }
`;

describe('inventory resolver', () => {
  const inv = InventoryResolver.fromText(INVENTORY_YAML);
  const at = (ip: string, port?: number) => inv.resolve(ip, port);

  test('the longest prefix wins', () => {
    assert.deepEqual(at('10.200.0.1'), { name: 'corp', namespace: 'default' });
    assert.deepEqual(at('10.100.0.1'), { name: 'services', namespace: 'kube-system' }); // 10.96/12 holds 10.96..10.111
    assert.deepEqual(at('10.112.0.1'), { name: 'corp', namespace: 'default' });
    assert.deepEqual(at('10.1.2.3', 80), { name: 'front-end', namespace: 'sock-shop' });
    assert.equal(at('11.0.0.1'), undefined);
    assert.equal(at('not-an-ip'), undefined);
  });

  test('a port pattern wins at equal prefix length, and only for its port', () => {
    assert.deepEqual(at('10.1.2.4', 9090), { name: 'catalogue-metrics', namespace: 'sock-shop' });
    assert.deepEqual(at('10.1.2.4', 80), { name: 'catalogue', namespace: 'sock-shop' });
    // A /32 without port beats a /16 with the port: the longer prefix comes first.
    assert.deepEqual(at('10.1.2.3', 9090), { name: 'front-end', namespace: 'sock-shop' });
    assert.deepEqual(at('10.1.9.9', 9090), { name: 'metrics-any', namespace: 'monitoring' });
  });

  test('IPv6: prefixes, ports, and a missing namespace read as empty', () => {
    assert.deepEqual(at('fd00::1234'), { name: 'v6-net', namespace: 'lab' });
    assert.deepEqual(at('fd00:0::7', 443), { name: 'gateway', namespace: 'edge' });
    assert.deepEqual(at('fd00::7', 80), { name: 'gateway-host', namespace: '' });
    assert.equal(at('fd01::1'), undefined);
    // IPv4 rules never match IPv6 addresses, even IPv4-mapped ones.
    assert.equal(at('::ffff:10.1.2.3'), undefined);
  });

  test('JSON is read too (from a file), and lists its bindings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshtap-inv-'));
    try {
      const path = join(dir, 'inventory.json');
      writeFileSync(path, JSON.stringify({ '192.168.1.0/24': { name: 'lan', namespace: 'home' } }));
      const fromFile = InventoryResolver.fromFile(path);
      assert.deepEqual(fromFile.resolve('192.168.1.77', undefined), { name: 'lan', namespace: 'home' });
      assert.deepEqual(await fromFile.list(), [
        { address: '192.168.1.0/24', name: 'lan', namespace: 'home' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad inventories fail with stable codes', () => {
    assert.throws(() => InventoryResolver.fromText('- a\n- b\n'), { code: 'RESOLVE_BAD_INVENTORY' });
    assert.throws(() => InventoryResolver.fromText('10.0.0.1: just-a-string'), {
      code: 'RESOLVE_BAD_INVENTORY',
    });
    assert.throws(() => InventoryResolver.fromText('10.0.0.1: { namespace: x }'), {
      code: 'RESOLVE_BAD_INVENTORY',
    });
    assert.throws(() => InventoryResolver.fromText('10.0.0.1: { name: a, namespace: 3 }'), {
      code: 'RESOLVE_BAD_INVENTORY',
    });
    assert.throws(() => InventoryResolver.fromText('"10.0.0.300": { name: a }'), {
      code: 'RESOLVE_BAD_ADDRESS',
    });
    assert.throws(() => InventoryResolver.fromText('{ unclosed'), { code: 'RESOLVE_BAD_INVENTORY' });
    assert.throws(() => InventoryResolver.fromFile('/nonexistent/inventory.yaml'), {
      code: 'RESOLVE_BAD_INVENTORY',
    });
    assert.equal(InventoryResolver.fromText('').resolve('10.0.0.1', undefined), undefined);
  });
});
