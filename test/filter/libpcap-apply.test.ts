// libpcap's own filter-apply cases (testprogs/TESTrun, shared corpus libpcap_apply_tests.tsv):
// per-packet BPF return values on libpcap's tests/filter savefiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileFilter, runBpf } from '../../src/filter/index.js';
import { FILTER_DIR, readCapture, tsvRows } from './support.js';

test('libpcap apply cases: same verdict per packet (vxlan needs libpcap 1.11)', () => {
  const rows = tsvRows('libpcap_apply_tests.tsv', 'savefile\t');
  let agreed = 0;
  const failures: string[] = [];
  for (const [file, name, expr, returns, , localCheck] of rows) {
    const recs = readCapture(join(FILTER_DIR, 'savefiles', file!));
    const want = returns!.split(',').map((v) => Number(v) !== 0);
    if (localCheck!.startsWith('local-compile-error')) {
      // libpcap 1.10 (the local reference) refuses these; so must we.
      assert.throws(() => compileFilter(expr!, recs[0]!.linkType), { code: 'FILTER_SYNTAX' });
      continue;
    }
    const f = compileFilter(expr!, recs[0]!.linkType);
    const prog = f.bpf();
    const js = recs.map((r) => f.match(r.data, r.data.length, r.origLen));
    const bpf = recs.map((r) => runBpf(prog, r.data, r.data.length, r.origLen) !== 0);
    if (JSON.stringify(js) === JSON.stringify(want) && JSON.stringify(bpf) === JSON.stringify(want)) agreed++;
    else failures.push(name!);
  }
  assert.deepEqual(failures, []);
  assert.equal(agreed, 87);
});
