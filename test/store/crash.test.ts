import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CAPTURE_ERROR_CODES } from '../../src/pcap/index.js';
import { dataPath } from '../../src/store/layout.js';
import { StreamCatalog, type StreamRow } from '../../src/store/stream-catalog.js';
import { recoverStreams } from '../../src/store/stream-recovery.js';
import { corpusPcap } from '../helpers/corpus.js';
import { readStreamRecords } from './support.js';

/**
 * kill -9 during ingestion: a child process ingests a corpus capture over and over and is
 * killed after a number of vectors. Then every stream file must read cleanly up to its last
 * whole record, with meshtap's reader and with Wireshark's (capinfos), every file must have
 * its catalog row and no row may claim more packets than its file holds; after recovery the
 * rows equal the files exactly and every file ends cleanly.
 */
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = resolve(here, 'crash-child.ts');
const KILL_AFTER_VECTORS = 40;

let dir: string;
let db: Database.Database;
let catalog: StreamCatalog;
let killedBy: NodeJS.Signals | null = null;

function streamFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      if (name.isDirectory()) walk(join(d, name.name));
      else if (name.name.endsWith('.pcap')) out.push(relative(dir, join(d, name.name)));
    }
  };
  walk(join(root, 'streams'));
  return out.sort();
}

/** Packet counts Wireshark's wiretap reads from each file (capinfos goes on past a torn record). */
function capinfosCounts(paths: string[]): { counts: number[]; status: number } {
  const r = spawnSync('capinfos', ['-T', '-r', '-c', ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const counts = r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Number(l.split('\t')[1]));
  return { counts, status: r.status ?? -1 };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshtap-crash-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, corpusPcap('pcapplusplus__sll.pcap'), '400'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    lines += chunk.toString().split('\n').length - 1;
    if (lines >= KILL_AFTER_VECTORS) child.kill('SIGKILL');
  });
  killedBy = await new Promise<NodeJS.Signals | null>((done) =>
    child.on('exit', (_code, signal) => done(signal)),
  );
  db = new Database(join(dir, 'store.db'));
  catalog = new StreamCatalog(db);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 while ingesting', () => {
  test('the child was killed mid-way', () => {
    assert.equal(killedBy, 'SIGKILL');
    assert.ok(catalog.list().length > 10);
  });

  test('every file reads cleanly up to its last whole record and has a row that does not run ahead of it', (t) => {
    const rows = new Map(catalog.list().map((r) => [r.filePath, r] as [string, StreamRow]));
    const files = streamFiles(dir);
    assert.ok(files.length > 10);
    const meshtapCounts: number[] = [];
    for (const rel of files) {
      const row = rows.get(rel);
      assert.ok(row !== undefined, `${rel} has no catalog row`);
      const read = readStreamRecords(join(dir, rel));
      assert.ok(
        read.error === null || read.error === CAPTURE_ERROR_CODES.PCAP_TRUNCATED_RECORD,
        `${rel}: ${read.error}`,
      );
      assert.ok(
        read.records.length >= row.packets,
        `${rel}: row says ${row.packets}, file holds ${read.records.length}`,
      );
      meshtapCounts.push(read.records.length);
    }
    // Rows of streams whose first write never happened claim nothing.
    for (const row of rows.values()) if (!files.includes(row.filePath)) assert.equal(row.packets, 0);
    assert.deepEqual(capinfosCounts(files.map((f) => join(dir, f))).counts, meshtapCounts);
    t.diagnostic(
      `${files.length} stream files, ${meshtapCounts.reduce((a, b) => a + b, 0)} records after the kill`,
    );
  });

  test('after recovery every row equals its file and every file ends cleanly', async (t) => {
    const result = await recoverStreams(catalog, dir);
    assert.ok(result.closed.length > 0);
    t.diagnostic(
      `recovery closed ${result.closed.length} streams, cut a torn record off ${result.repaired.length}`,
    );
    const rows = catalog.list();
    assert.ok(rows.every((r) => r.closed));
    const present = rows.filter((r) => r.packets > 0);
    for (const row of present) {
      const path = dataPath(dir, row.filePath);
      const read = readStreamRecords(path);
      assert.equal(read.error, null, row.filePath);
      assert.equal(read.records.length, row.packets, row.filePath);
      assert.equal(statSync(path).size, row.fileBytes, row.filePath);
    }
    const paths = present.map((r) => dataPath(dir, r.filePath));
    const wiretap = capinfosCounts(paths);
    assert.equal(wiretap.status, 0);
    assert.deepEqual(
      wiretap.counts,
      present.map((r) => r.packets),
    );
    const list = join(dir, 'files.txt');
    writeFileSync(list, paths.join('\n') + '\n');
    const outPath = join(dir, 'tcpdump.out');
    const fd = openSync(outPath, 'w');
    const keepUser = process.getuid?.() === 0 ? ['-Z', 'root'] : [];
    const r = spawnSync('tcpdump', ['-nn', '-q', ...keepUser, '-V', list], {
      stdio: ['ignore', fd, 'ignore'],
    });
    closeSync(fd);
    assert.equal(r.status, 0);
    const lines = readFileSync(outPath, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0).length;
    assert.equal(
      lines,
      present.reduce((n, row) => n + row.packets, 0),
    );
  });
});
