// SQL push-down against the pure predicate: entries from the real pipeline on corpus captures
// (with names assigned from a table below) plus generated entries go into an in-memory index;
// for every query, the index returns exactly the ids the compiled predicate picks from all
// entries, the raw SQL WHERE keeps a superset of them (exactly them when it says `exact`),
// and count() and streamKeysMatching() agree.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Entry, EntryDraft } from '../../src/dissect/entry.js';
import { compileQuery } from '../../src/query/index.js';
import { openStoreDatabase, type StoreDatabase } from '../../src/store/database.js';
import { EntriesIndex, type IndexRow, type StoredEntry } from '../../src/store/entries-index.js';
import { entriesOf } from '../entries/run-entries.js';
import { corpusPcap } from '../helpers/corpus.js';
import { generatedEntry, query } from '../query/arbitraries.js';

const CORPUS_FILES = [
  'zeek__100-continue.pcap',
  'suricata-verify__http-protocol-nodup__input.pcap',
  'pcapplusplus__four_ipv6_http_streams.pcap',
  'zeek__cooper-grill-dvwa.pcapng',
  'suricata-verify__http2-range.pcap',
  'suricata-verify__http2-keywords2__input.pcap',
  'suricata-verify__bug-5929-02__http2_multiple_headers.pcap',
  'ndpi__http2.pcapng',
  'packt-grpc__Bidi_Streaming.pcapng',
  'packt-grpc__Server_Streaming.pcapng',
  'ndpi__diameter.pcap',
  'magma__gx_gy_combined_05_210505_133111-1.pcapng',
  'tcpdump__dns_udp.pcap',
  'pcapplusplus__DnsPackets.pcap',
  'pcapplusplus__dns_over_tcp.pcapng',
];

const NUM_RUNS = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
// `npm run fuzz` sets MESHTAP_FUZZ_SEED=random; a failure prints the seed to replay it with.
const SEED = process.env.MESHTAP_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : 20261121;

/** Corpus captures have no resolver: every third IP gets no name, the others one of these. */
const NAMES = [
  'front-end.sock-shop',
  'catalogue.sock-shop',
  'api.example',
  'kube-dns.kube-system',
  'ocs.core',
];

function withNames(entry: EntryDraft, ipOrder: Map<string, number>): EntryDraft {
  const name = (ip: string) => {
    if (!ipOrder.has(ip)) ipOrder.set(ip, ipOrder.size);
    const k = ipOrder.get(ip)!;
    if (k % 3 === 2) return {};
    const n = NAMES[k % NAMES.length]!;
    return { name: n, namespace: n.split('.')[1] };
  };
  return {
    ...entry,
    src: { ...entry.src, ...name(entry.src.ip) },
    dst: { ...entry.dst, ...name(entry.dst.ip) },
  };
}

function rowsOf(entries: readonly object[], tag: string): IndexRow[] {
  return entries.map((entry, i) => ({
    entry: entry as EntryDraft,
    streamKey: `${tag}-${(entry as { streamId?: number }).streamId ?? 0}`,
    node: i % 2 === 0 ? 'node-a' : 'node-b',
  }));
}

interface Fixture {
  db: StoreDatabase;
  index: EntriesIndex;
  all: StoredEntry[];
}

function fixture(rows: IndexRow[]): Fixture {
  const db = openStoreDatabase(':memory:');
  const index = new EntriesIndex(db);
  index.insertMany(rows);
  const all = index.query('', { limit: 1_000_000, order: 'asc' }).entries;
  return { db, index, all };
}

const stats = { queries: 0, exact: 0, nonEmpty: 0, pushed: 0 };

/** Checks one query on a fixture; the expected ids come from the predicate alone. */
function agree({ db, index, all }: Fixture, text: string): void {
  const compiled = compileQuery(text, { nowUs: 1_000_000 });
  const expected = all.filter((e) => compiled.predicate(e));
  const expectedIds = expected.map((e) => e.id);
  const got = index.query(compiled, { limit: 1_000_000, order: 'asc' }).entries.map((e) => e.id);
  assert.deepEqual(got, expectedIds.slice(0, compiled.limit), text); // limit(n) caps the page only
  const { where, params, exact } = compiled.pushdown;
  const sqlIds = (
    db.prepare(`SELECT id FROM entries WHERE ${where ?? '1'} ORDER BY id`).all(...params) as {
      id: number;
    }[]
  ).map((r) => String(r.id));
  const inSql = new Set(sqlIds);
  assert.ok(
    expectedIds.every((id) => inSql.has(id)),
    `push-down dropped a match: ${text} → ${where}`,
  );
  const byId = [...expectedIds].sort((a, b) => Number(a) - Number(b));
  if (exact) assert.deepEqual(sqlIds, byId, `exact push-down differs: ${text} → ${where}`);
  assert.equal(index.count(compiled), expectedIds.length, text);
  const keys = [...new Set(expected.map((e) => e.streamKey))].sort();
  assert.deepEqual(index.streamKeysMatching(compiled), keys, text);
  stats.queries++;
  if (exact) stats.exact++;
  if (where !== null) stats.pushed++;
  if (expectedIds.length > 0) stats.nonEmpty++;
}

const HAND_QUERIES = [
  '',
  'http',
  'http2 or grpc',
  'dns and udp',
  'diameter and tcp',
  'not http',
  'request.method == "GET"',
  'request.method != "GET"',
  'not (request.method == "GET")',
  'request.method == r"^p"i',
  'request.method != r"^p"i',
  'response.status == 200',
  'response.status >= 400',
  'response.status < 200 or response.status == null',
  'src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"',
  'src.name == null',
  'src.name != null and dst.name == null',
  'dst.namespace == "sock-shop"',
  'startsWith(request.path, "/")',
  'startsWith(request.path, "/images")',
  'contains(request.path, ".php")',
  'endsWith(request.path, ".html")',
  'request.path > "/m"',
  'request.path <= "/b"',
  'src.port > dst.port',
  'src.port == 53 or dst.port == 53',
  'src.ip == "192.168.1.11"',
  'startsWith(dst.ip, "fe80")',
  'timestamp >= datetime("2010-01-12T00:00:00Z") and timestamp < datetime("2010-01-13T00:00:00Z")',
  'timestamp > datetime("2020-01-01T00:00:00Z")',
  'elapsed > milliseconds(10)',
  'elapsed == null',
  'node == "node-a" and dns',
  'streamKey == "corpus-0"',
  'startsWith(streamKey, "corpus-1")',
  'response.rcode != 0',
  'request.questions.name == r"\\.local$"',
  'response.resultCode == 2001',
  'request.avps["Origin-Host"] != null',
  'request.headers["user-agent"] == r"curl"',
  'response.headers["Content-Type"] == r"^text/html" and http',
  'contains(flags, "no_response") or contains(flags, "gap")',
  'len(request.headers) > 5',
  'http and response.status == 200 and not (request.method == "GET" or request.method == "HEAD")',
  '(dns or http) and (src.name == null or not (dst.port == 80))',
  'request.method == "GET" and limit(3)',
];

describe('SQL push-down agrees with the predicate', () => {
  let corpus: Fixture;

  before(async () => {
    const ipOrder = new Map<string, number>();
    const fromCorpus: EntryDraft[] = [];
    for (const name of CORPUS_FILES) {
      for (const entry of await entriesOf(corpusPcap(name)))
        fromCorpus.push(withNames(entry as Entry, ipOrder));
    }
    assert.ok(fromCorpus.length > 300, `${fromCorpus.length} corpus entries`);
    const generated = fc.sample(generatedEntry, { numRuns: 300, seed: SEED });
    corpus = fixture([...rowsOf(fromCorpus, 'corpus'), ...rowsOf(generated, 'gen')]);
  });

  test('hand-written queries over corpus and generated entries', () => {
    for (const text of HAND_QUERIES) agree(corpus, text);
  });

  test('generated queries over corpus and generated entries', () => {
    const queries = fc.sample(query, { numRuns: Math.max(NUM_RUNS / 2, 150), seed: SEED });
    for (const text of queries) agree(corpus, text);
  });

  test('generated entries and queries, a fresh index each run', () => {
    fc.assert(
      fc.property(
        fc.array(generatedEntry, { maxLength: 30 }),
        fc.array(query, { minLength: 1, maxLength: 6 }),
        (entries, queries) => {
          const f = fixture(rowsOf(entries, 'p'));
          for (const text of queries) agree(f, text);
          f.db.close();
        },
      ),
      { numRuns: Math.ceil(NUM_RUNS / 3), seed: SEED },
    );
  });

  test('agreement figures', (t) => {
    t.diagnostic(`seed ${SEED}`);
    t.diagnostic(
      `${stats.queries} query runs agree; ${stats.pushed} had SQL push-down (${stats.exact} exact); ${stats.nonEmpty} matched at least one entry`,
    );
    assert.ok(stats.nonEmpty > stats.queries / 5);
  });
});
