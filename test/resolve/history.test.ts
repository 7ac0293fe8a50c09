import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EntryDraft } from '../../src/dissect/entry.js';
import { fillEntryNames, refreshNames } from '../../src/resolve/entry-names.js';
import { NameHistory } from '../../src/resolve/history.js';
import { InventoryResolver } from '../../src/resolve/inventory.js';
import type { BindingSource, NameBinding } from '../../src/resolve/types.js';
import { nameHistoryPath } from '../../src/store/layout.js';

const T1 = 1_700_000_000_000_000; // µs
const T2 = T1 + 60e6;
const T3 = T2 + 60e6;
const pod = (name: string, namespace = 'shop') => ({ name, namespace });

function withDir(run: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshtap-names-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('name history: lookups in time', () => {
  const h = new NameHistory('node-a');
  h.record('10.0.0.5', T1, pod('front-end'), 'inventory');
  h.record('10.0.0.5', T2, pod('catalogue'), 'inventory'); // the pod IP was reused
  h.record('10.0.0.5', T3, null, 'inventory'); // and then released
  h.record('10.0.0.0/24', T1, pod('subnet', 'net'), 'inventory');
  h.record('10.0.0.5:9090', T2, pod('metrics'), 'inventory');

  test('each moment gets the name true then', () => {
    assert.equal(h.lookup('10.0.0.5', 80, T1 - 1), undefined); // before anything was known
    assert.deepEqual(h.lookup('10.0.0.5', 80, T1), pod('front-end'));
    assert.deepEqual(h.lookup('10.0.0.5', 80, T2 - 1), pod('front-end'));
    assert.deepEqual(h.lookup('10.0.0.5', 80, T2), pod('catalogue'));
    assert.deepEqual(h.lookup('10.0.0.5', undefined, T2 + 5), pod('catalogue'));
  });

  test('a released address falls back to the shorter prefix that still names it', () => {
    assert.deepEqual(h.lookup('10.0.0.5', 80, T3), pod('subnet', 'net'));
    assert.deepEqual(h.lookup('10.0.0.9', 80, T1), pod('subnet', 'net'));
  });

  test('port-specific names from their time on', () => {
    assert.deepEqual(h.lookup('10.0.0.5', 9090, T1), pod('front-end')); // not yet known at T1
    assert.deepEqual(h.lookup('10.0.0.5', 9090, T2), pod('metrics'));
    assert.deepEqual(h.lookup('10.0.0.5', 9090, T3), pod('metrics'));
  });

  test('recording what is already true changes nothing; out-of-order changes land in time order', () => {
    const g = new NameHistory('n');
    assert.equal(g.record('10.0.0.1', T2, pod('b'), 's'), true);
    assert.equal(g.record('10.0.0.1', T3, pod('b'), 's'), false);
    assert.equal(g.record('10.0.0.1', T1, pod('a'), 's'), true);
    assert.equal(g.record('10.0.0.2', T1, null, 's'), false); // forgetting the unknown
    assert.deepEqual(g.lookup('10.0.0.1', undefined, T1 + 1), pod('a'));
    assert.deepEqual(g.lookup('10.0.0.1', undefined, T2 + 1), pod('b'));
    const doc = g.toDocument();
    assert.deepEqual(
      doc.addresses['10.0.0.1'].map((c) => [c.fromUs, c.name, c.from]),
      // 1700000000 s = 2023-11-14T22:13:20Z
      [
        [T1, 'a', '2023-11-14T22:13:20.000000Z'],
        [T2, 'b', '2023-11-14T22:14:20.000000Z'],
      ],
    );
  });

  test('sync records new names, changed names and names a source stopped listing', () => {
    const g = new NameHistory('n');
    const listing = (...b: NameBinding[]) => b;
    assert.equal(
      g.sync(
        'netns',
        listing({ address: '10.9.0.1', ...pod('a') }, { address: '10.9.0.2', ...pod('b') }),
        T1,
      ),
      2,
    );
    assert.equal(g.sync('inventory', listing({ address: '10.8.0.0/16', ...pod('x') }), T1), 1);
    assert.equal(g.sync('netns', listing({ address: '10.9.0.1', ...pod('a2') }), T2), 2); // a changed, b gone
    assert.equal(g.sync('netns', listing({ address: '10.9.0.1', ...pod('a2') }), T3), 0);
    assert.deepEqual(g.lookup('10.9.0.1', undefined, T2), pod('a2'));
    assert.equal(g.lookup('10.9.0.2', undefined, T2), undefined);
    assert.deepEqual(g.lookup('10.9.0.2', undefined, T1), pod('b'));
    // Another source's names are not touched by netns's listing.
    assert.deepEqual(g.lookup('10.8.1.1', undefined, T3), pod('x'));
  });

  test('fillEntryNames names both ends with the names true at the entry time, keeping names already set', () => {
    const entry = {
      src: { ip: '10.0.0.5', port: 40000 },
      dst: { ip: '10.0.0.5', port: 9090, name: 'given', namespace: 'kept' },
      timestampUs: T2 + 1,
    } as Pick<EntryDraft, 'src' | 'dst' | 'timestampUs'>;
    fillEntryNames(entry, h);
    assert.deepEqual(entry.src, { ip: '10.0.0.5', port: 40000, name: 'catalogue', namespace: 'shop' });
    assert.deepEqual(entry.dst, { ip: '10.0.0.5', port: 9090, name: 'given', namespace: 'kept' });
  });
});

describe('name history: the file and its journal', () => {
  test(
    'changes reach the journal at once; save() writes the document atomically and empties the journal',
    withDir((dir) => {
      const path = nameHistoryPath(dir, 'node-a');
      assert.equal(path, join(dir, 'names', 'node-a', 'name_resolution_history.json'));
      mkdirSync(dirname(path), { recursive: true });
      const h = NameHistory.open(path, 'node-a');
      h.record('10.0.0.5', T1, pod('front-end'), 'inventory');
      h.record('[fd00::1]:443', T2, pod('gw', 'edge'), 'netns');
      const journal = path.replace(/\.json$/, '.jsonl');
      assert.equal(readFileSync(journal, 'utf8').trim().split('\n').length, 2);
      assert.equal(existsSync(path), false);
      // A process that dies now loses nothing: reopening replays the journal.
      const again = NameHistory.open(path, 'node-a');
      assert.deepEqual(again.lookup('fd00::1', 443, T2), pod('gw', 'edge'));
      again.save();
      assert.equal(readFileSync(journal, 'utf8'), '');
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      assert.equal(doc.version, 1);
      assert.equal(doc.node, 'node-a');
      assert.deepEqual(Object.keys(doc.addresses).sort(), ['10.0.0.5', '[fd00::1]:443']);
      // Opening document + (empty) journal gives the same answers; so does a snapshot's copy.
      for (const copy of [
        NameHistory.open(path, 'node-a'),
        NameHistory.fromJson(readFileSync(path, 'utf8')),
      ]) {
        assert.deepEqual(copy.lookup('10.0.0.5', 1, T1), pod('front-end'));
        assert.equal(copy.lookup('10.0.0.5', 1, T1 - 1), undefined);
      }
    }),
  );

  test(
    'a torn last journal line (crash mid-append) is cut off, and later changes append cleanly',
    withDir((dir) => {
      const path = join(dir, 'name_resolution_history.json');
      const h = NameHistory.open(path, 'n');
      h.record('10.0.0.1', T1, pod('a'), 's');
      const journal = join(dir, 'name_resolution_history.jsonl');
      appendFileSync(journal, '{"address":"10.0.0.2","fromUs":');
      const reopened = NameHistory.open(path, 'n');
      reopened.record('10.0.0.3', T1, pod('c'), 's');
      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      assert.equal(lines.length, 2);
      const last = NameHistory.open(path, 'n');
      assert.deepEqual(last.lookup('10.0.0.3', undefined, T1), pod('c'));
      assert.equal(last.lookup('10.0.0.2', undefined, T1), undefined);
    }),
  );

  test(
    'damaged documents fail with RESOLVE_BAD_HISTORY',
    withDir((dir) => {
      const path = join(dir, 'h.json');
      writeFileSync(path, '{"version":2,"addresses":{}}');
      assert.throws(() => NameHistory.open(path, 'n'), { code: 'RESOLVE_BAD_HISTORY' });
      writeFileSync(path, '{"version":1,"node":"n","addresses":{"10.0.0.1":[{"fromUs":"x"}]}}');
      assert.throws(() => NameHistory.open(path, 'n'), { code: 'RESOLVE_BAD_HISTORY' });
      assert.throws(() => NameHistory.fromJson('not json'), { code: 'RESOLVE_BAD_HISTORY' });
    }),
  );

  test('refreshNames records what each source lists now', async () => {
    const h = new NameHistory('n');
    const inventory = InventoryResolver.fromText('10.0.0.0/8: { name: corp, namespace: default }');
    let names: NameBinding[] = [{ address: '10.1.1.1', ...pod('a') }];
    const changing: BindingSource = { source: 'fake', list: async () => names };
    assert.equal(await refreshNames(h, [inventory, changing], T1), 2);
    names = [];
    assert.equal(await refreshNames(h, [inventory, changing], T2), 1);
    assert.deepEqual(h.lookup('10.1.1.1', undefined, T1), pod('a'));
    assert.deepEqual(h.lookup('10.1.1.1', undefined, T2), { name: 'corp', namespace: 'default' });
  });
});
