// Live differential test: tcpdump (libpcap 1.10) filters the corpus and meshtap must accept the
// same packets. Corpus records are merged into one pcap per link type (filters are per-packet).
// Default run: a deterministic sample of expressions; MESHTAP_FULL=1 runs every expression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../../src/filter/index.js';
import { readFileSync } from 'node:fs';
import { corpusExpressions, mergedCorpus, tcpdumpAll, type LinkTypeCapture } from './support.js';

/** Expressions the fuzz test once failed on (test/fixtures/regress/filter). */
function regressionExpressions(): string[] {
  const path = new URL('../fixtures/regress/filter/expressions.txt', import.meta.url);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

const FULL = process.env.MESHTAP_FULL === '1';
const SAMPLE_STEP = 8;

type Verdict = { refused: true; rejectsAll?: boolean } | { refused: false; accepted: number[] };

function meshtap(expr: string, capture: LinkTypeCapture): Verdict {
  try {
    const f = compileFilter(expr, capture.linkType);
    if (f.rejectsAll) return { refused: true, rejectsAll: true };
    const accepted: number[] = [];
    capture.records.forEach((r, i) => f.match(r.data, r.data.length, r.origLen) && accepted.push(i));
    return { refused: false, accepted };
  } catch {
    return { refused: true };
  }
}

test(`tcpdump and meshtap accept the same packets (${FULL ? 'all expressions' : 'sample'})`, async () => {
  const all = corpusExpressions();
  const exprs = [...(FULL ? all : all.filter((_, i) => i % SAMPLE_STEP === 0)), ...regressionExpressions()];
  const jobs = exprs.flatMap((expr) => mergedCorpus().map((capture) => ({ capture, expr })));
  const results = await tcpdumpAll(jobs);
  const disagreements: string[] = [];
  jobs.forEach(({ capture, expr }, i) => {
    const ref = results[i]!;
    const ours = meshtap(expr, capture);
    const refRejectsAll = !ref.ok && ref.stderr.includes('expression rejects all packets');
    let same: boolean;
    if (!ref.ok) same = ours.refused || (refRejectsAll && ours.accepted.length === 0);
    else if (ours.refused) same = ours.rejectsAll === true && ref.accepted.length === 0;
    else same = JSON.stringify(ours.accepted) === JSON.stringify(ref.accepted);
    if (!same) disagreements.push(`${expr} @ linktype ${capture.linkType}`);
  });
  console.log(`live tcpdump cases: ${jobs.length}, disagreements: ${disagreements.length}`);
  assert.deepEqual(disagreements, []);
});
