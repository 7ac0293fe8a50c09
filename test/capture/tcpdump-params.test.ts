import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTcpdumpParams, tcpdumpArgv } from '../../src/capture/tcpdump-params.js';

describe('tcpdump parameters of a capture task', () => {
  test('the safe subset parses, in separate and joined forms, and becomes an argument vector', () => {
    const p = parseTcpdumpParams(
      '-nn -i eth0 -s96 -B 4096 -Q in -p -c 10 --time-stamp-precision=nano tcp port 80 and host 10.0.0.1',
    );
    assert.deepEqual(p, {
      noPromiscuous: true,
      interface: 'eth0',
      snaplen: 96,
      bufferKiB: 4096,
      direction: 'in',
      count: 10,
      precision: 'nano',
      filter: 'tcp port 80 and host 10.0.0.1',
    });
    assert.deepEqual(tcpdumpArgv(p, '-'), [
      '-i',
      'eth0',
      '-w',
      '-',
      '-U',
      '-s',
      '96',
      '-B',
      '4096',
      '-Q',
      'in',
      '-p',
      '-c',
      '10',
      '--time-stamp-precision',
      'nano',
      '--',
      'tcp port 80 and host 10.0.0.1',
    ]);
    assert.deepEqual(parseTcpdumpParams(['--interface=lo', '--snapshot-length', '128']), {
      noPromiscuous: false,
      interface: 'lo',
      snaplen: 128,
    });
  });

  test("immediate mode is meshtap's own setting: a user's --immediate-mode does not set it, the mirror's does", () => {
    assert.equal(parseTcpdumpParams('--immediate-mode -i lo').immediate, undefined);
    assert.deepEqual(
      tcpdumpArgv({ interface: 'eth0', noPromiscuous: false, immediate: true, filter: 'udp' }, '-'),
      ['-i', 'eth0', '-w', '-', '-U', '--immediate-mode', '--', 'udp'],
    );
  });

  for (const flag of [
    '-w /tmp/x',
    '-r x.pcap',
    '-z gzip',
    '-Z root',
    '-F f.txt',
    '-C 1',
    '-G 5',
    '-W 2',
    '-V list',
    '-D',
    '-wx.pcap',
    '--relinquish-privileges=root',
  ]) {
    test(`refuses ${flag}`, () => {
      assert.throws(() => parseTcpdumpParams(`-i eth0 ${flag}`), { code: 'CAPTURE_FORBIDDEN_FLAG' });
    });
  }

  test('refuses unknown flags and combined letters it cannot vouch for', () => {
    for (const flag of ['-j adapter', '--number', '-nnvvw', '--print', '-T rpc']) {
      assert.throws(() => parseTcpdumpParams(flag), { code: 'CAPTURE_UNKNOWN_FLAG' }, flag);
    }
  });

  test('refuses bad values', () => {
    for (const bad of [
      '-s 300000',
      '-s -1',
      '-s 1e3',
      '-B 0',
      '-Q both',
      '-c 0',
      '-i',
      '-i eth0;rm',
      '-i ../../x',
      '-y en10mb',
      '--time-stamp-precision=pico',
    ]) {
      assert.throws(() => parseTcpdumpParams(bad), { code: 'CAPTURE_BAD_FLAG_VALUE' }, bad);
    }
  });

  test('the filter is checked by meshtap before tcpdump runs; words after it are filter, never flags', () => {
    assert.throws(() => parseTcpdumpParams('-i eth0 tcp port'), { code: 'FILTER_SYNTAX' });
    assert.throws(
      () => parseTcpdumpParams('tcp -w /etc/passwd'),
      (e: Error & { code?: string }) => String(e.code).startsWith('FILTER_'),
    );
    assert.throws(() => parseTcpdumpParams('x'.repeat(5000)), { code: 'CAPTURE_BAD_FLAG_VALUE' });
  });
});
