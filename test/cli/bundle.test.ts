import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusPcap } from '../helpers/corpus.js';
import { meshtap, type CliRun } from '../helpers/cli.js';

// The published bin is the esbuild bundle (scripts/bundle-cli.mjs), not the sources the other
// CLI tests run: it must behave the same, including the commands it loads lazily.
describe('the bundled CLI', () => {
  // Under node_modules/.cache so that the bundle's package imports resolve from the project.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cache = join(root, 'node_modules', '.cache');
  let dir = '';
  let bin = '';

  before(() => {
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'meshtap-bundle-'));
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cli.mjs'), dir], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    bin = join(dir, 'meshtap.js');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function bundled(args: string[]): CliRun {
    const r = spawnSync(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });
    return {
      status: r.status ?? -1,
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
      stdoutBytes: r.stdout,
    };
  }

  test('gives the same output and status as the sources', () => {
    const http = corpusPcap('pcapplusplus__four_ipv6_http_streams.pcap');
    const cases: string[][] = [
      ['read', http, '-c', '5'],
      ['read', http, '-f', 'ip6 and tcp and greater 200', '-w', '-'],
      ['read', http, '--format', 'json', '-c', '2', '--stats'],
      ['entries', http, '--format', 'jsonl'],
      ['read', http, 'port', 'and'],
      ['read', join(dir, 'missing.pcap')],
    ];
    for (const args of cases) {
      const ours = bundled(args);
      const source = meshtap(args);
      const label = args.join(' ');
      assert.equal(ours.status, source.status, label);
      // show run's times and the peak RSS differ from run to run; everything else must match.
      const stable = (s: string) =>
        s
          .replace(/\d+(\.\d+)?e-?\d+/g, 'N')
          .replace(/Time [\d.]+/g, 'Time N')
          .replace(/peak RSS \d+ MB/, 'peak RSS N MB');
      if (args.includes('--stats')) assert.equal(stable(ours.stdout), stable(source.stdout), label);
      else assert.ok(ours.stdoutBytes.equals(source.stdoutBytes), label);
      assert.equal(ours.stderr, source.stderr, label);
    }
  });
});
