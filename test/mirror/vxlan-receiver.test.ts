import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { openCapture, type PacketRecord } from '../../src/pcap/index.js';
import { VxlanReceiver, type VxlanReceiverCounters } from '../../src/mirror/vxlan-receiver.js';
import { parseListen, registerMirrorReceiveCommand } from '../../src/cli/mirror-receive.js';
import { runMirrorReceive, type MirrorReceiveOptions } from '../../src/mirror/receive-run.js';
import { runEntriesPipeline } from '../../src/pipeline/entries-run.js';
import { MeshtapError } from '../../src/util/errors.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool, tsharkFrameRows } from '../helpers/tools.js';

const HTTP_DOCKER = corpusPcap('zeek__docker-http-upgrade.pcap');
const HTTP_PIPELINED = corpusPcap('suricata-verify__http-protocol-nodup__input.pcap');
const RECEIVE_MAIN = resolve(dirname(fileURLToPath(import.meta.url)), 'receive-main.ts');
const dir = mkdtempSync(join(tmpdir(), 'meshtap-mirror-receive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A VXLAN header written out from RFC 7348 section 5: byte 0 flags (0x08 = I, "VNI valid"),
 * bytes 1-3 reserved (0), bytes 4-6 the VNI big-endian, byte 7 reserved (0).
 */
function vxlanHeader(vni: number, flags = 0x08): Buffer {
  return Buffer.from([flags, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0]);
}

function vxlan(vni: number, frame: Uint8Array, flags = 0x08): Buffer {
  return Buffer.concat([vxlanHeader(vni, flags), frame]);
}

async function corpusFrames(path: string): Promise<Uint8Array[]> {
  const reader = await openCapture(path);
  const frames: Uint8Array[] = [];
  for await (const batch of reader.batches()) {
    for (const record of batch) {
      assert.equal(record.linkType, 1);
      frames.push(record.data.slice());
    }
  }
  assert.equal(reader.error, null);
  return frames;
}

type Expected = Omit<VxlanReceiverCounters, 'accepted' | 'queueDrops'>;

/**
 * Every frame as a VXLAN datagram of `vni`, in order, with datagrams the receiver must drop
 * slipped in between: another VNI, 7 bytes (too short), I flag clear, and a header followed
 * by 10 bytes (less than an Ethernet header). The last datagram is always a valid one.
 */
function mixedTraffic(frames: Uint8Array[], vni: number): { datagrams: Buffer[]; expected: Expected } {
  const datagrams: Buffer[] = [];
  const malformed = { too_short: 0, no_vni_flag: 0, inner_too_short: 0 };
  let wrongVni = 0;
  frames.forEach((frame, i) => {
    if (i % 20 === 5) {
      wrongVni++;
      datagrams.push(vxlan(vni + 1, frame));
    }
    if (i % 30 === 10) {
      malformed.too_short++;
      datagrams.push(vxlanHeader(vni).subarray(0, 7));
    }
    if (i % 30 === 20) {
      malformed.no_vni_flag++;
      datagrams.push(vxlan(vni, frame, 0x00));
    }
    if (i % 50 === 25) {
      malformed.inner_too_short++;
      datagrams.push(vxlan(vni, frame.subarray(0, 10)));
    }
    datagrams.push(vxlan(vni, frame));
  });
  return { datagrams, expected: { received: datagrams.length, wrongVni, malformed } };
}

/** A UDP sender on loopback, paced so the receiver's socket buffer never fills (nothing is lost). */
class Sender {
  private sent = 0;
  private constructor(private readonly socket: Socket) {}

  static async open(family: 'udp4' | 'udp6'): Promise<Sender> {
    const socket = createSocket(family);
    await new Promise<void>((done) => socket.bind(0, done));
    return new Sender(socket);
  }

  async send(payload: Uint8Array, port: number, host: string): Promise<void> {
    await new Promise<void>((done, fail) =>
      this.socket.send(payload, port, host, (e) => (e ? fail(e) : done())),
    );
    if (++this.sent % 8 === 0) await delay(2);
  }

  async sendAll(payloads: Uint8Array[], port: number, host: string): Promise<void> {
    for (const p of payloads) await this.send(p, port, host);
  }

  close(): Promise<void> {
    return new Promise((done) => this.socket.close(() => done()));
  }
}

async function sendAll(payloads: Uint8Array[], port: number, host = '127.0.0.1'): Promise<void> {
  const sender = await Sender.open(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await sender.sendAll(payloads, port, host);
  } finally {
    await sender.close();
  }
}

async function waitFor(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** The port the receiver announced on stderr ("listening for VXLAN on ADDR:PORT"). */
async function announcedPort(stderr: { text: string }): Promise<number> {
  const listening = /listening for VXLAN on \S+:(\d+) /;
  await waitFor(() => listening.test(stderr.text), 'the listening line');
  return Number(listening.exec(stderr.text)![1]);
}

/** tshark's rows (captured length, wire length, MD5 of the bytes), without the time column. */
function frameRows(path: string): string[] {
  return tsharkFrameRows(path).map((row) => row.split('\t').slice(1).join('\t'));
}

function assertCounterLines(stderr: string, c: Expected & { accepted: number }): void {
  const lines: Array<[number, string]> = [
    [c.received, 'datagrams received'],
    [c.accepted, 'accepted'],
    [c.wrongVni, 'wrong VNI'],
    [c.malformed.too_short, 'malformed too_short'],
    [c.malformed.no_vni_flag, 'malformed no_vni_flag'],
    [c.malformed.inner_too_short, 'malformed inner_too_short'],
    [0, 'queue drops'],
  ];
  for (const [count, label] of lines) assert.match(stderr, new RegExp(`^ +${count}  ${label}$`, 'm'), label);
}

function receiveOptions(
  overrides: Partial<MirrorReceiveOptions> & Pick<MirrorReceiveOptions, 'output'>,
): MirrorReceiveOptions & { stdout: TextSink; stderr: TextSink } {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    traces: [],
    stats: false,
    stdout: new TextSink(),
    stderr: new TextSink(),
    ...overrides,
  } as MirrorReceiveOptions & { stdout: TextSink; stderr: TextSink };
}

describe('VxlanReceiver (library)', () => {
  test('what arrived leaves as vectors of up to batchSize; every datagram is counted once', async () => {
    const frames = (await corpusFrames(HTTP_DOCKER)).slice(0, 30);
    const receiver = await VxlanReceiver.open({ host: '127.0.0.1', port: 0, vni: 42, batchSize: 16 });
    const { datagrams, expected } = mixedTraffic(frames, 42);
    // RFC 7348: reserved bits are ignored on receipt, so this one is accepted.
    const reservedSet = Buffer.from([0xff, 0x12, 0x34, 0x56, 0, 0, 42, 0x99, ...frames[0]]);
    const before = Date.now();
    await sendAll([...datagrams, reservedSet], receiver.address.port);
    await waitFor(() => receiver.counters.received === datagrams.length + 1, 'every datagram');
    const after = Date.now();
    receiver.stop();
    const batches: PacketRecord[][] = [];
    for await (const batch of receiver.batches()) batches.push(batch);

    assert.deepEqual(
      batches.map((b) => b.length),
      [16, 15],
    );
    const records = batches.flat();
    assert.deepEqual(
      records.map((r) => Buffer.from(r.data)),
      [...frames, frames[0]].map((f) => Buffer.from(f)),
    );
    for (const r of records) {
      assert.equal(r.linkType, 1);
      assert.equal(r.origLen, r.data.length);
      assert.equal(r.interfaceId, 0);
      assert.ok(r.tsNsec >= 0 && r.tsNsec < 1e9);
      const ms = r.tsSec * 1000 + r.tsNsec / 1e6;
      assert.ok(ms >= before - 2 && ms <= after + 2, `arrival ${ms} outside [${before}, ${after}]`);
    }
    assert.deepEqual(receiver.counters, {
      ...expected,
      received: expected.received + 1,
      accepted: frames.length + 1,
      queueDrops: 0,
    });
  });

  test('a waiting consumer gets a lone datagram at once, without waiting for a vector to fill', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const receiver = await VxlanReceiver.open({ host: '127.0.0.1', port: 0 });
    const iterator = receiver.batches();
    const next = iterator.next();
    await sendAll([vxlan(9, frames[3])], receiver.address.port);
    const { value } = await next;
    assert.deepEqual(
      (value as PacketRecord[]).map((r) => Buffer.from(r.data)),
      [Buffer.from(frames[3])],
    );
    await receiver.close();
    assert.equal((await iterator.next()).done, true);
  });

  test('a slow consumer: beyond the queue bounds (count, then bytes) packets are dropped and counted', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const byCount = await VxlanReceiver.open({ host: '127.0.0.1', port: 0, maxQueuedPackets: 5 });
    await sendAll(
      frames.slice(0, 12).map((f) => vxlan(1, f)),
      byCount.address.port,
    );
    await waitFor(() => byCount.counters.received === 12, '12 datagrams');
    assert.equal(byCount.counters.accepted, 5);
    assert.equal(byCount.counters.queueDrops, 7);
    byCount.stop();
    let delivered = 0;
    for await (const batch of byCount.batches()) delivered += batch.length;
    assert.equal(delivered, 5);

    // 300-byte inner frames against a 1000-byte bound: three fit (900), the fourth would not.
    const byBytes = await VxlanReceiver.open({ host: '127.0.0.1', port: 0, maxQueuedBytes: 1000 });
    const frame300 = Buffer.concat([frames[0], Buffer.alloc(300)]).subarray(0, 300);
    await sendAll(
      Array.from({ length: 6 }, () => vxlan(1, frame300)),
      byBytes.address.port,
    );
    await waitFor(() => byBytes.counters.received === 6, '6 datagrams');
    assert.deepEqual([byBytes.counters.accepted, byBytes.counters.queueDrops], [3, 3]);
    await byBytes.close();
  });

  test('maxPackets ends the batches after exactly that many; close() releases the port', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const receiver = await VxlanReceiver.open({ host: '127.0.0.1', port: 0, maxPackets: 3 });
    const port = receiver.address.port;
    const collected = (async () => {
      let n = 0;
      for await (const batch of receiver.batches()) n += batch.length;
      return n;
    })();
    await sendAll(
      frames.slice(0, 3).map((f) => vxlan(1, f)),
      port,
    );
    assert.equal(await collected, 3);
    assert.equal(receiver.counters.accepted, 3);
    await receiver.close();
    const again = await VxlanReceiver.open({ host: '127.0.0.1', port });
    await again.close();
  });

  test('IPv6: listens on [::1] and receives', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const receiver = await VxlanReceiver.open({ ...parseListen('[::1]:0'), vni: 77 });
    assert.equal(receiver.address.family, 'IPv6');
    await sendAll([vxlan(77, frames[1]), vxlan(78, frames[2])], receiver.address.port, '::1');
    await waitFor(() => receiver.counters.received === 2, '2 datagrams');
    receiver.stop();
    const got: Buffer[] = [];
    for await (const batch of receiver.batches()) for (const r of batch) got.push(Buffer.from(r.data));
    assert.deepEqual(got, [Buffer.from(frames[1])]);
    assert.equal(receiver.counters.wrongVni, 1);
  });

  test('a port already in use: MIRROR_LISTEN_FAILED, with the system error', async () => {
    const holder = await VxlanReceiver.open({ host: '127.0.0.1', port: 0 });
    await assert.rejects(
      runMirrorReceive(
        receiveOptions({
          listen: { host: '127.0.0.1', port: holder.address.port },
          output: { kind: 'packets', format: 'text', quiet: true },
        }),
      ),
      (err: MeshtapError) => err.code === 'MIRROR_LISTEN_FAILED' && /EADDRINUSE/.test(err.message),
    );
    await holder.close();
  });
});

describe('mirror receive (pipeline)', () => {
  test('-w: the pcap holds every sent frame, byte for byte and in order (tshark MD5s); drops counted exactly', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const { datagrams, expected } = mixedTraffic(frames, 7);
    const out = join(dir, 'received.pcap');
    const opts = receiveOptions({
      vni: 7,
      count: frames.length,
      output: { kind: 'packets', format: 'text', quiet: false, write: out },
    });
    const started = Date.now() / 1000;
    const run = runMirrorReceive(opts);
    await sendAll(datagrams, await announcedPort(opts.stderr));
    const result = await run;
    const ended = Date.now() / 1000;

    assert.equal(result.error, null);
    assert.equal(result.output, frames.length);
    assert.deepEqual(result.counters, { ...expected, accepted: frames.length, queueDrops: 0 });
    assertCounterLines(opts.stderr.text, { ...expected, accepted: frames.length });
    const got = tsharkFrameRows(out);
    assert.deepEqual(
      got.map((row) => row.split('\t').slice(1).join('\t')),
      frameRows(HTTP_DOCKER),
    );
    // The records carry arrival times (re-stamped), in order.
    const times = got.map((row) => Number(row.split('\t')[0]));
    assert.ok(times[0] >= started - 0.002 && times.at(-1)! <= ended + 0.002);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  test('--duration with no traffic ends with a valid, empty nanosecond pcap (header checked by hand)', async () => {
    const out = join(dir, 'empty.pcap');
    const opts = receiveOptions({
      durationMs: 200,
      output: { kind: 'packets', format: 'text', quiet: true, write: out },
    });
    const result = await runMirrorReceive(opts);
    assert.equal(result.output, 0);
    // magic 0xa1b23c4d (ns) little-endian, version 2.4, thiszone 0, sigfigs 0, snaplen 65535, link type 1.
    const header = [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
    assert.deepEqual([...readFileSync(out)], header);
  });

  test('--entries: the same entries as `meshtap entries` on the original file, except arrival times', async () => {
    const expectedOut = new TextSink();
    await runEntriesPipeline({
      source: HTTP_PIPELINED,
      format: 'jsonl',
      traces: [],
      stats: false,
      stdout: expectedOut,
      stderr: new TextSink(),
    });
    const frames = await corpusFrames(HTTP_PIPELINED);
    const opts = receiveOptions({ count: frames.length, output: { kind: 'entries', format: 'jsonl' } });
    const run = runMirrorReceive(opts);
    // No --vni: any VNI is accepted.
    await sendAll(
      frames.map((f, i) => vxlan(i % 3, f)),
      await announcedPort(opts.stderr),
    );
    const result = await run;
    const withoutTimes = (jsonl: string): unknown[] =>
      jsonl
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const { timestampUs: _t, elapsedUs: _e, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        });
    const expected = withoutTimes(expectedOut.text);
    assert.equal(expected.length, 40);
    assert.deepEqual(withoutTimes(opts.stdout.text), expected);
    assert.equal(result.output, 40);
  });
});

describe('mirror receive (command line)', () => {
  async function usageError(args: string[]): Promise<string> {
    const program = new Command('meshtap').exitOverride();
    registerMirrorReceiveCommand(program.command('mirror'));
    try {
      await program.parseAsync(['node', 'meshtap', 'mirror', 'receive', ...args]);
    } catch (err) {
      return (err as MeshtapError).code;
    }
    return 'no error';
  }

  test('bad --listen, --vni, --duration and option mixes are usage errors with stable codes', async () => {
    for (const listen of [
      'localhost:4789',
      '1.2.3.4:',
      '1.2.3.4:65536',
      '[1.2.3.4]:5',
      '[::1]:x',
      '',
      '1.2.3.4:-1',
    ]) {
      assert.equal(await usageError(['--listen', listen]), 'MIRROR_BAD_LISTEN', listen);
    }
    for (const vni of ['16777216', '-1', 'abc', '1.5', '']) {
      assert.equal(await usageError(['--listen', '127.0.0.1:0', '--vni', vni]), 'MIRROR_BAD_VNI', vni);
    }
    assert.equal(await usageError(['--listen', '127.0.0.1:0', '--duration', '0']), 'MIRROR_BAD_DURATION');
    assert.equal(
      await usageError(['--listen', '127.0.0.1:0', '--entries', '-w', 'x.pcap']),
      'MIRROR_OPTION_CONFLICT',
    );
    assert.equal(
      await usageError(['--listen', '127.0.0.1:0', '--entries', '--format', 'text']),
      'CLI_BAD_FORMAT',
    );
  });

  test('--listen forms: default port 4789, bracketed and bare IPv6, port 0', () => {
    assert.deepEqual(parseListen('10.1.2.3'), { host: '10.1.2.3', port: 4789 });
    assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen('[::]'), { host: '::', port: 4789 });
    assert.deepEqual(parseListen('fd00::1'), { host: 'fd00::1', port: 4789 });
  });

  test('child process on [::1]: -f filters the inner frames (as tcpdump does); SIGINT leaves a complete pcap', async () => {
    const frames = await corpusFrames(HTTP_DOCKER);
    const filter = 'tcp[13] & 8 != 0';
    const reference = join(dir, 'tcpdump-filtered.pcap');
    runTool('tcpdump', ['-r', HTTP_DOCKER, '-w', reference, filter]);
    const expectedRows = frameRows(reference);
    // The last datagram repeats the first frame the filter passes: once it is in the file, every earlier datagram was processed.
    const marker = (await corpusFrames(reference))[0];
    const expectedBytes =
      24 + expectedRows.reduce((n, row) => n + 16 + Number(row.split('\t')[0]), 0) + 16 + marker.length;
    const { datagrams, expected } = mixedTraffic(frames, 5000);
    const out = join(dir, 'sigint.pcap');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        RECEIVE_MAIN,
        'mirror',
        'receive',
        '--listen',
        '[::1]:0',
        '--vni',
        '5000',
        '-f',
        filter,
        '-w',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stderr = { text: '' };
    child.stderr.on('data', (chunk: Buffer) => (stderr.text += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    try {
      const port = await announcedPort(stderr);
      await sendAll([...datagrams, vxlan(5000, marker)], port, '::1');
      await waitFor(() => statSize(out) === expectedBytes, `${expectedBytes} bytes in ${out}`);
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr.text);
    } finally {
      child.kill('SIGKILL');
    }
    const rows = frameRows(out);
    assert.deepEqual(rows, [...expectedRows, expectedRows[0]]);
    assertCounterLines(stderr.text, {
      ...expected,
      received: expected.received + 1,
      accepted: frames.length + 1,
    });
  });
});

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}
