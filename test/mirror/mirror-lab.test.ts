import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTap, type Tap } from '../../src/hub/tap.js';
import { openCapture } from '../../src/pcap/index.js';
import type { MirrorCounters, MirrorSession } from '../../src/mirror/types.js';
import { corpusPcap } from '../helpers/corpus.js';
import { createLab, labUnavailable, type Lab, type LabHost } from '../helpers/netns.js';
import { runTool, tsharkFrameRows } from '../helpers/tools.js';

const skip = labUnavailable();
const VNI = 4242;
const LENGTH = 96;
const CLI = resolve(import.meta.dirname, '../../src/cli/main.ts');

/** A bounded sender on the source host: UDP datagrams (marked with the phase) to each port of the peer. */
function udpScript(peer: string, ports: number[], perPort: number, marker: string): string {
  return `const s=require('dgram').createSocket('udp4');const ports=${JSON.stringify(ports)};let i=0;
const next=()=>{if(i>=${perPort}*ports.length){s.close();return;}const p=ports[i%ports.length];
s.send('${marker}-'+p+'-'+(i++)+'-'+'x'.repeat(150),p,'${peer}',next)};next();`;
}

/** One TCP exchange with the peer's echo server, and one refused connection to the receiver. */
function tcpScript(peer: string, other: string): string {
  return `const net=require('net');setTimeout(()=>process.exit(2),8000).unref();
const c=net.connect(8080,'${peer}',()=>c.end('p1-tcp-'+'y'.repeat(300)));c.resume();
c.on('close',()=>{const r=net.connect(8080,'${other}');r.on('error',()=>process.exit(0));r.on('connect',()=>process.exit(3));});`;
}

const ECHO_SERVER = `require('net').createServer((s)=>s.pipe(s)).listen(8080,'0.0.0.0',()=>console.log('listening'));`;

/** Waits for a line on a child's output, bounded. */
function waitFor(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  text: string,
  what: string,
): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${seen}`)), 60_000);
    child[stream]?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolveWait();
      }
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(timer);
}

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('traffic mirroring between network namespaces', { skip: skip ?? false }, () => {
  let lab: Lab;
  let source: LabHost;
  let peer: LabHost;
  let receiver: LabHost;
  let tap: Tap;
  let dir: string;
  const children: ChildProcess[] = [];
  let sessionId = 0;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${tap.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : (text as T);
  };
  const session = () =>
    api<MirrorSession & { counters: MirrorCounters }>('GET', `/api/mirror/sessions/${sessionId}`);
  /** The session's data path is up once its source's graph is listed by show run. */
  const mirrorRunning = async (running: boolean): Promise<void> => {
    for (let waited = 0; waited < 15_000; waited += 100) {
      const run = await api<string>('GET', '/api/run');
      if (run.includes('mirror-classify') === running) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`the mirror data path did not ${running ? 'start' : 'stop'}`);
  };
  /** Waits until the mirrored count stops growing (the sender is done and the source drained). */
  const settled = async (): Promise<MirrorCounters> => {
    let last = -1;
    for (let waited = 0; waited < 10_000; waited += 500) {
      await new Promise((r) => setTimeout(r, 500));
      const { counters } = await session();
      if (counters.mirrored === last) return counters;
      last = counters.mirrored;
    }
    return (await session()).counters;
  };

  before(async () => {
    lab = createLab(3, { joinRoot: true });
    [source, peer, receiver] = lab.hosts;
    dir = mkdtempSync(join(tmpdir(), 'meshtap-mirror-lab-'));
    const echo = lab.spawn(peer, [process.execPath, '-e', ECHO_SERVER]);
    children.push(echo);
    await waitFor(echo, 'stdout', 'listening', 'the echo server');
    // The reference captures: everything at the source, and the VXLAN that reaches the receiver.
    const atSource = lab.spawn(source, ['tcpdump', '-i', 'eth0', '-U', '-w', join(dir, 'source.pcap')]);
    const atReceiver = lab.spawn(receiver, [
      'tcpdump',
      '-i',
      'eth0',
      '-U',
      '-w',
      join(dir, 'outer.pcap'),
      'udp',
      'port',
      '4789',
    ]);
    const meshtapReceiver = lab.spawn(receiver, [
      process.execPath,
      '--import',
      'tsx',
      CLI,
      'mirror',
      'receive',
      '--listen',
      `${receiver.ip}:4789`,
      '--vni',
      String(VNI),
      '-w',
      join(dir, 'inner.pcap'),
      '-q',
    ]);
    children.push(atSource, atReceiver, meshtapReceiver);
    await Promise.all([
      waitFor(atSource, 'stderr', 'listening on', 'tcpdump at the source'),
      waitFor(atReceiver, 'stderr', 'listening on', 'tcpdump at the receiver'),
      waitFor(meshtapReceiver, 'stderr', 'listening for VXLAN', 'meshtap mirror receive'),
    ]);
    tap = await startTap({
      dataDir: join(dir, 'data'),
      host: '127.0.0.1',
      port: 0,
      noAuth: true,
      source: { kind: 'pcap', path: corpusPcap('pcapplusplus__one_http_stream_fin.pcap') },
    });
  });

  after(async () => {
    try {
      if (tap) await tap.stop();
      for (const child of children) await stopChild(child);
    } finally {
      lab?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a session mirrors exactly what its rules collect, truncated, as VXLAN; stop and start work', async (t) => {
    const filter = await api<{ id: number }>('POST', '/api/mirror/filters', {
      name: 'lab',
      outbound: [
        // Do-not-collect at a smaller priority value wins over the wider collect rule below it.
        {
          priority: 10,
          protocol: 'UDP',
          sourceCidr: '0.0.0.0/0',
          destinationCidr: '0.0.0.0/0',
          destinationPorts: '7001/7001',
          policy: 'DoNotCollect',
        },
        {
          priority: 20,
          protocol: 'UDP',
          sourceCidr: '0.0.0.0/0',
          destinationCidr: '0.0.0.0/0',
          destinationPorts: '7000/7002',
          policy: 'Collect',
        },
        {
          priority: 30,
          protocol: 'TCP',
          sourceCidr: '0.0.0.0/0',
          destinationCidr: `${peer.ip}/32`,
          destinationPorts: '8080/8080',
          policy: 'Collect',
        },
      ],
      inbound: [
        {
          priority: 10,
          protocol: 'ICMP',
          sourceCidr: `${peer.ip}/32`,
          destinationCidr: '0.0.0.0/0',
          policy: 'Collect',
        },
      ],
    });
    const created = await api<MirrorSession>('POST', '/api/mirror/sessions', {
      name: 'to-receiver',
      vni: VNI,
      priority: 1,
      packetLength: LENGTH,
      filterId: filter.id,
      sources: [`netns:${source.netns}`],
      destination: `${receiver.ip}:4789`,
    });
    sessionId = created.id;
    assert.equal(created.state, 'Stopped', 'sessions are created stopped');

    // Phase 1: running. UDP to four ports, a TCP exchange, a refused TCP connection, pings.
    await api('POST', `/api/mirror/sessions/${sessionId}/start`);
    await mirrorRunning(true);
    lab.exec(source, [process.execPath, '-e', udpScript(peer.ip, [7000, 7001, 7002, 7003], 5, 'p1')]);
    lab.exec(source, [process.execPath, '-e', tcpScript(peer.ip, receiver.ip)]);
    lab.exec(source, ['ping', '-c', '3', '-i', '0.2', '-W', '1', peer.ip]);
    await settled();

    // Phase 2: stopped, nothing is mirrored. Phase 3: started again.
    await api('POST', `/api/mirror/sessions/${sessionId}/stop`);
    await mirrorRunning(false);
    lab.exec(source, [process.execPath, '-e', udpScript(peer.ip, [7000], 5, 'p2')]);
    await api('POST', `/api/mirror/sessions/${sessionId}/start`);
    await mirrorRunning(true);
    lab.exec(source, [process.execPath, '-e', udpScript(peer.ip, [7000, 7003], 4, 'p3')]);
    const counters = await settled();

    // show run and trace cover the mirror nodes.
    const run = await api<string>('GET', '/api/run');
    for (const node of ['mirror-classify', 'mirror-truncate', 'vxlan-encap', 'udp-output']) {
      assert.match(run, new RegExp(`^${node}\\s`, 'm'), node);
    }
    await api('POST', `/api/mirror/sessions/${sessionId}/stop`);
    await mirrorRunning(false);
    for (const child of children.slice(1)) await stopChild(child);

    // Expected: the source's own capture, selected by tshark with the rules written as a display filter.
    const mac = lab.exec(source, ['cat', '/sys/class/net/eth0/address']).trim();
    const rules =
      `(eth.src == ${mac} && ((udp.dstport == 7000 || udp.dstport == 7002) || (tcp.dstport == 8080 && ip.dst == ${peer.ip})))` +
      ` || (eth.src != ${mac} && icmp && ip.src == ${peer.ip})`;
    const wanted = runTool('tshark', [
      '-r',
      join(dir, 'source.pcap'),
      '-Y',
      `(${rules}) && !(udp contains "p2-")`,
      '-T',
      'fields',
      '-e',
      'frame.number',
    ])
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
    const frames: Uint8Array[] = [];
    let longer = 0;
    const reader = await openCapture(join(dir, 'source.pcap'));
    let n = 0;
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        if (!wanted.includes(++n)) continue;
        frames.push(r.data.slice(0, LENGTH));
        if (r.origLen > LENGTH) longer++;
      }
    }
    await reader.close();
    // The exact set comes from tshark; at least: phase 1 UDP to 7000 and 7002 (10), phase 3 to 7000 (4), 3 echo replies.
    assert.ok(frames.length >= 10 + 4 + 3, `expected frames: ${frames.length}`);

    // What reached the receiver: VXLAN on UDP 4789 with the session's VNI, inner frames = expected.
    const outer = runTool('tshark', [
      '-r',
      join(dir, 'outer.pcap'),
      '-T',
      'fields',
      '-e',
      'vxlan.vni',
      '-e',
      'udp.dstport',
      '-e',
      'udp.srcport',
      '-e',
      'ip.src',
      '-e',
      'udp.payload',
    ])
      .split('\n')
      .filter((l) => l !== '')
      // tshark decodes the inner frame too: each field lists the outer value first.
      .map((l) => l.split('\t').map((field) => field.split(',')[0]));
    for (const [vni, dport, , src] of outer)
      assert.deepEqual([vni, dport, src], [String(VNI), '4789', lab.rootIp]);
    const innerHex = outer.map((row) => row[4].slice(16));
    assert.deepEqual(
      [...innerHex].sort(),
      frames.map(hex).sort(),
      'inner frames are exactly the collected ones, truncated',
    );
    assert.ok(!innerHex.some((h) => Buffer.from(h, 'hex').includes('p2-')), 'nothing mirrored while stopped');

    // One flow leaves from one UDP source port (the inner 5-tuple picks it).
    const portsByFlow = new Map<string, Set<string>>();
    for (const [, , sport, , payload] of outer) {
      const inner = Buffer.from(payload.slice(16), 'hex');
      if (inner.readUInt16BE(12) !== 0x0800 || inner[23] !== 17) continue;
      const flow = `${inner.readUInt16BE(34)}>${inner.readUInt16BE(36)}`;
      portsByFlow.set(flow, (portsByFlow.get(flow) ?? new Set()).add(sport));
    }
    assert.ok(portsByFlow.size >= 2);
    for (const [flow, ports] of portsByFlow) assert.equal(ports.size, 1, `flow ${flow}`);

    // meshtap's own receiver wrote the same inner frames.
    const received = tsharkFrameRows(join(dir, 'inner.pcap')).map((row) => row.split('\t')[3]);
    assert.deepEqual([...received].sort(), frames.map(md5).sort());

    t.diagnostic(
      `${frames.length} frames collected of the source's capture (${longer} truncated to ${LENGTH} bytes), ` +
        `${outer.length} VXLAN datagrams at the receiver, ${received.length} frames written by meshtap mirror receive, ` +
        `${portsByFlow.size} UDP flows each on one source port`,
    );
    // The session's counters agree.
    assert.equal(counters.matched, frames.length);
    assert.equal(counters.mirrored, frames.length);
    assert.equal(counters.sendErrors, 0);
    assert.ok(longer > 0);
    assert.equal(counters.truncated, longer);
    assert.equal(
      counters.sentBytes,
      frames.reduce((sum, f) => sum + 8 + f.length, 0),
    );
  });
});
