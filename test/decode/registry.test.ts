import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextLayer } from '../../src/decode/base.js';
import { REGISTRIES, type Layer, type LayerDecoder, type RegistryName } from '../../src/decode/layer.js';
import { DecoderRegistry } from '../../src/decode/registry.js';

const NAMES: RegistryName[] = ['linktype', 'ethertype', 'ipproto', 'udpport', 'tcpport', 'sctpport'];

/** A decoder that only says which registry entry it is. */
function tagged(tag: string): LayerDecoder {
  return () => ({ kind: tag }) as unknown as Layer;
}

test('the same key in different registries reaches different decoders, at both ends of the key range', () => {
  const registry = new DecoderRegistry();
  for (const name of NAMES)
    for (const key of [0, 1, 0xffff]) registry.register(name, key, tagged(`${name}/${key}`));
  for (const name of NAMES) {
    for (const key of [0, 1, 0xffff]) {
      const decoder = registry.lookup(nextLayer(REGISTRIES[name], key));
      assert.equal(decoder?.(new Uint8Array(0), 0, 0).kind, `${name}/${key}`);
    }
    assert.equal(registry.lookup(nextLayer(REGISTRIES[name], 2)), undefined, `${name}/2 is not registered`);
  }
});

test('the alternative key is tried only when the key is not registered', () => {
  const registry = new DecoderRegistry();
  registry.register('udpport', 4789, tagged('vxlan'));
  registry.register('udpport', 53, tagged('dns'));
  const kind = (dst: number, src: number): string | undefined =>
    registry.lookup(nextLayer(REGISTRIES.udpport, dst, src))?.(new Uint8Array(0), 0, 0).kind;
  assert.equal(kind(4789, 53), 'vxlan');
  assert.equal(kind(40000, 4789), 'vxlan');
  assert.equal(kind(40000, 40001), undefined);
  // An alternative key never crosses into another registry.
  registry.register('tcpport', 40001, tagged('tcp'));
  assert.equal(kind(40000, 40001), undefined);
});

test('keys outside 16 bits are refused when registered', () => {
  const registry = new DecoderRegistry();
  for (const key of [-1, 0x10000, 1.5, Number.NaN]) {
    assert.throws(() => registry.register('ethertype', key, tagged('x')), RangeError, String(key));
  }
});
