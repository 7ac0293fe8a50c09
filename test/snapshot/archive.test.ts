import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_ARCHIVE_LIMITS,
  extractArchive,
  inspectArchive,
  writeArchive,
} from '../../src/snapshot/archive.js';

/** GNU tar makes the hostile archives: it writes what it is told, traversal and links included. */
function gnuTar(cwd: string, out: string, args: string[]): void {
  execFileSync('tar', ['-czf', out, '-P', ...args], { cwd });
}

describe('snapshot archives', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-archive-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('files and in-memory members round trip; GNU tar lists the same members', async () => {
    const src = join(dir, 'stream.pcap');
    writeFileSync(src, Buffer.alloc(70_000, 7));
    const out = join(dir, 'ok.tar.gz');
    await writeArchive(out, [
      { name: 'manifest.json', data: '{"version":1}' },
      { name: 'nodes/node-a/streams/2026/11/21/10/s1.pcap', path: src },
    ]);
    const listed = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => !l.endsWith('/') && l);
    assert.deepEqual(listed.sort(), ['manifest.json', 'nodes/node-a/streams/2026/11/21/10/s1.pcap']);
    const dest = join(dir, 'ok-out');
    const files = await extractArchive(out, dest);
    assert.equal(files.length, 2);
    assert.equal(readFileSync(join(dest, 'manifest.json'), 'utf8'), '{"version":1}');
    assert.deepEqual(
      readFileSync(join(dest, 'nodes/node-a/streams/2026/11/21/10/s1.pcap')),
      readFileSync(src),
    );
  });

  test('writer refuses member names that could not be extracted safely', async () => {
    for (const name of ['../x', '/etc/passwd', 'a/./b', 'a b', '']) {
      await assert.rejects(
        writeArchive(join(dir, 'never.tar.gz'), [{ name, data: 'x' }]),
        { code: 'SNAPSHOT_UNSAFE_PATH' },
        name,
      );
    }
  });

  const hostile: Array<{ what: string; code: string; build(work: string, out: string): void }> = [
    {
      what: 'a member that climbs out with ..',
      code: 'SNAPSHOT_UNSAFE_PATH',
      build: (work, out) => {
        mkdirSync(join(work, 'inner'));
        writeFileSync(join(work, 'evil'), 'x');
        execFileSync('tar', ['-czf', out, '-P', 'inner/../evil'], { cwd: work });
      },
    },
    {
      what: 'an absolute member name',
      code: 'SNAPSHOT_UNSAFE_PATH',
      build: (work, out) => {
        writeFileSync(join(work, 'abs'), 'x');
        gnuTar(work, out, [join(work, 'abs')]);
      },
    },
    {
      what: 'a symbolic link',
      code: 'SNAPSHOT_UNSUPPORTED_MEMBER',
      build: (work, out) => {
        symlinkSync('/etc/passwd', join(work, 'link'));
        gnuTar(work, out, ['link']);
      },
    },
    {
      what: 'a hard link',
      code: 'SNAPSHOT_UNSUPPORTED_MEMBER',
      build: (work, out) => {
        writeFileSync(join(work, 'a'), 'x');
        execFileSync('ln', [join(work, 'a'), join(work, 'b')]);
        gnuTar(work, out, ['a', 'b']);
      },
    },
    {
      what: 'a file over the size limit',
      code: 'SNAPSHOT_TOO_LARGE',
      build: (work, out) => {
        writeFileSync(join(work, 'big'), Buffer.alloc(4096));
        gnuTar(work, out, ['big']);
      },
    },
    {
      what: 'not a tar.gz at all',
      code: 'SNAPSHOT_CORRUPT',
      build: (_work, out) => writeFileSync(out, 'PK\x03\x04 this is a zip, or nothing'),
    },
  ];

  for (const h of hostile) {
    test(`refuses ${h.what} before writing anything`, async () => {
      const work = mkdtempSync(join(dir, 'work-'));
      const out = join(dir, `${h.code}-${readdirSync(dir).length}.tar.gz`);
      h.build(work, out);
      const dest = join(dir, `dest-${readdirSync(dir).length}`);
      const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxFileBytes: 1024 };
      await assert.rejects(extractArchive(out, dest, limits), { code: h.code });
      assert.equal(existsSync(dest), false, 'nothing extracted');
    });
  }

  describe('atomic writes', () => {
    const missing = (work: string) => ({ name: 'gone.pcap', path: join(work, 'vanished.pcap') });

    test('a failed write rejects and leaves neither the archive nor a temporary file', async () => {
      const work = mkdtempSync(join(dir, 'atomic-'));
      const out = join(work, 'F.tar.gz');
      await assert.rejects(writeArchive(out, [{ name: 'manifest.json', data: '{}' }, missing(work)]));
      assert.deepEqual(readdirSync(work), [], 'directory left empty');
    });

    test('a failed write leaves an existing archive byte-identical', async () => {
      const work = mkdtempSync(join(dir, 'atomic-'));
      const out = join(work, 'F.tar.gz');
      const before = Buffer.from('an earlier archive, which must survive');
      writeFileSync(out, before);
      await assert.rejects(writeArchive(out, [missing(work)]));
      assert.deepEqual(readFileSync(out), before);
      assert.deepEqual(readdirSync(work), ['F.tar.gz'], 'no temporary file left');
    });

    test('a successful write replaces the old file with an archive GNU tar lists', async () => {
      const work = mkdtempSync(join(dir, 'atomic-'));
      const out = join(work, 'F.tar.gz');
      writeFileSync(out, 'stale');
      await writeArchive(out, [
        { name: 'manifest.json', data: '{}' },
        { name: 'streams/s1.pcap', data: Buffer.alloc(100, 1) },
      ]);
      const listed = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l && !l.endsWith('/'));
      assert.deepEqual(listed.sort(), ['manifest.json', 'streams/s1.pcap']);
      assert.deepEqual(readdirSync(work), ['F.tar.gz'], 'no temporary file left');
    });
  });

  test('member count and total size limits', async () => {
    const out = join(dir, 'many.tar.gz');
    await writeArchive(
      out,
      Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(300) })),
    );
    await assert.rejects(inspectArchive(out, { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 4 }), {
      code: 'SNAPSHOT_TOO_LARGE',
    });
    await assert.rejects(inspectArchive(out, { ...DEFAULT_ARCHIVE_LIMITS, maxTotalBytes: 1000 }), {
      code: 'SNAPSHOT_TOO_LARGE',
    });
    assert.equal((await inspectArchive(out)).length, 5);
  });
});
