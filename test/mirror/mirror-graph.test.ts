import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allOutbound } from '../../src/mirror/direction.js';
import {
  buildMirrorGraph,
  type MirrorGraphHandle,
  type MirrorSessionSpec,
} from '../../src/mirror/mirror-graph.js';
import type { MirrorCounters } from '../../src/mirror/types.js';
import { openCapture } from '../../src/pcap/index.js';
import { feedCapture } from '../../src/pipeline/feed-capture.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { GraphPacket } from '../../src/graph/packet.js';
import { CAPTURE_INPUT } from '../../src/pipeline/read-graph.js';
import { SEND_QUEUE_FULL } from '../../src/mirror/udp-sender.js';
import { RecordingSender } from './recording-sender.js';
import { UDP, eth4, filter, l4, rule, session } from './packets.js';

/**
 * End to end over loopback: a mix of real Ethernet captures (UDP/DNS over IPv4 and IPv6,
 * TCP, ICMP in VLANs, ICMPv6 with routing headers, IPv4 and IPv6 fragments, non-IP CDP)
 * goes through the mirror graph to UDP sockets this test binds. What should arrive comes
 * from tshark: the same rules written as display filters, run on the input cut by editcap
 * to each session's packet length, with the MD5 of every frame. The corpus has no tunnels
 * or ICMP errors, so the outer headers are the only ones the filters can see.
 */
const INPUTS = [
  'pcapplusplus__DnsPackets.pcap',
  'tcpdump__dns_tcp.pcap',
  'pcapplusplus__VlanPackets.pcap',
  'zeek__100-continue.pcap',
  'zeek__ipv6-fragmented-dns.pcap',
  'pcapplusplus__ip4_fragments.pcap',
  'tcpdump__ipv6-routing-header.pcap',
  'zeek__docker-http-upgrade.pcap',
];

const VNI_A = 0xabcdef;
const VNI_B = 7;

/** Session A (priority 10, 128 bytes): its filter's outbound rules and the same rules as a display filter. */
const RULES_A = [
  rule(50, 'DoNotCollect', 'UDP', '10.0.0.1/32', '10.0.0.138/32', {
    src: { from: 60000, to: 65535 },
    dst: { from: 53, to: 53 },
  }),
  rule(100, 'Collect', 'UDP', '0.0.0.0/0', '0.0.0.0/0', { dst: { from: 50, to: 60 } }),
  rule(200, 'Collect', 'TCP', '0.0.0.0/0', '192.168.0.0/16'),
  rule(300, 'Collect', 'UDP', '::/0', '2001:470:1f11:81f::/64'),
  rule(400, 'Collect', 'ICMP', '::/0', '::/0'),
];
const DISPLAY_A = [
  '!(ip.src#1 == 10.0.0.1 && ip.dst#1 == 10.0.0.138 && udp.srcport#1 >= 60000 && udp.dstport#1 == 53)',
  '&& ((ip && udp && udp.dstport#1 >= 50 && udp.dstport#1 <= 60)',
  '|| (ip && tcp && ip.dst#1 == 192.168.0.0/16)',
  '|| (ipv6.dst#1 == 2001:470:1f11:81f::/64 && (udp || ipv6.fraghdr.nxt == 17))',
  '|| icmpv6)',
].join(' ');
/** Session B (priority 20, 1500 bytes, two-member group): all IPv4 and IPv6 TCP that A did not take. */
const RULES_B = [
  rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0'),
  rule(2, 'Collect', 'TCP', '::/0', '::/0'),
];
const DISPLAY_B = `(ip || (ipv6 && tcp)) && !(${DISPLAY_A})`;

interface Expected {
  md5: string;
  len: number;
  stream: string;
  fragment: boolean;
}

interface Received {
  data: Buffer;
  sourcePort: number;
  member: number;
}

/** tshark's view of the frames a display filter selects, on a capture cut to `snaplen`. */
function expectedFrames(dir: string, merged: string, snaplen: number, displayFilter: string): Expected[] {
  const cut = join(dir, `cut-${snaplen}.pcap`);
  runTool('editcap', ['-F', 'pcap', '-s', String(snaplen), merged, cut]);
  const fields = [
    'frame.len',
    'frame.md5_hash',
    'tcp.stream',
    'udp.stream',
    'ip.flags.mf',
    'ip.frag_offset',
    'ipv6.fraghdr',
  ];
  const args = ['-r', cut, '-o', 'frame.generate_md5_hash:TRUE', '-o', 'ip.defragment:FALSE'];
  args.push('-o', 'ipv6.defragment:FALSE', '-Y', displayFilter, '-T', 'fields');
  for (const f of fields) args.push('-e', f);
  return runTool('tshark', args)
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [len, md5, tcpStream, udpStream, mf, fragOffset, fragHeader] = line.split('\t');
      const stream = tcpStream !== '' ? `tcp${tcpStream}` : udpStream !== '' ? `udp${udpStream}` : '';
      const fragment = mf === '1' || (fragOffset !== '' && fragOffset !== '0') || fragHeader !== '';
      return { md5, len: Number(len), stream, fragment };
    });
}

async function receiver(member: number, into: Received[]): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  socket.on('message', (data, rinfo) => into.push({ data, sourcePort: rinfo.port, member }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** tcpdump on the loopback interface, for the real outer packets; null when it cannot run here. */
async function startTcpdump(path: string, port: number): Promise<ChildProcess | null> {
  const child = spawn(
    'tcpdump',
    [
      '-i',
      'lo',
      '--immediate-mode',
      '-s',
      '1600',
      '-B',
      '16384',
      '-U',
      '-n',
      '-w',
      path,
      'udp',
      'and',
      'dst',
      'port',
      String(port),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const listening = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    child.stderr?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.on('error', () => resolve(false));
    child.on('exit', () => resolve(false));
  });
  if (!listening) child.kill();
  return listening ? child : null;
}

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

function countersFor(rows: Expected[], packetLength: number): MirrorCounters {
  const kept = rows.map((r) => Math.min(r.len, packetLength));
  return {
    matched: rows.length,
    mirrored: rows.length,
    truncated: rows.filter((r) => r.len > packetLength).length,
    sentBytes: kept.reduce((sum, k) => sum + 8 + k, 0),
    sendErrors: 0,
  };
}

/** Checks that every stream's datagrams share one value of `pick` (source port or group member). */
function oneValuePerStream(rows: Expected[], received: Received[], pick: (r: Received) => number): number {
  const streamOf = new Map(rows.filter((r) => r.stream !== '' && !r.fragment).map((r) => [r.md5, r.stream]));
  const seen = new Map<string, Set<number>>();
  for (const r of received) {
    const stream = streamOf.get(md5(r.data.subarray(8)));
    if (stream === undefined) continue;
    seen.set(stream, (seen.get(stream) ?? new Set()).add(pick(r)));
  }
  for (const [stream, values] of seen) assert.equal(values.size, 1, `${stream} used ${[...values]}`);
  return seen.size;
}

describe('mirror graph end to end over loopback', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-graph-'));
  const merged = join(dir, 'input.pcap');
  const outer = join(dir, 'outer.pcap');
  const receivedA: Received[] = [];
  const receivedB: Received[] = [];
  const sockets: Socket[] = [];
  let rowsA: Expected[] = [];
  let rowsB: Expected[] = [];
  let handle: MirrorGraphHandle;
  let tcpdumpRan = false;
  let portA = 0;
  let traceText = '';

  before(async () => {
    runTool('mergecap', ['-F', 'pcap', '-a', '-w', merged, ...INPUTS.map(corpusPcap)]);
    rowsA = expectedFrames(dir, merged, 128, DISPLAY_A);
    rowsB = expectedFrames(dir, merged, 1500, DISPLAY_B);
    sockets.push(await receiver(0, receivedA), await receiver(0, receivedB), await receiver(1, receivedB));
    const [a, b0, b1] = sockets.map((s) => ({ host: '127.0.0.1', port: s.address().port }));
    portA = a.port;
    const specs: MirrorSessionSpec[] = [
      {
        session: session(1, 10, 1, {
          vni: VNI_A,
          packetLength: 128,
          destination: { kind: 'endpoint', endpoint: a },
        }),
        filter: filter(1, RULES_A),
      },
      {
        session: session(2, 20, 2, { vni: VNI_B, destination: { kind: 'group', members: [b0, b1] } }),
        filter: filter(2, RULES_B),
      },
      // Only inbound rules: collects nothing here, where every packet is outbound.
      {
        session: session(3, 30, 3, { destination: { kind: 'endpoint', endpoint: a } }),
        filter: filter(3, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0', {}, 'inbound')]),
      },
      // Stopped: ignored although it would take everything first.
      {
        session: session(4, 1, 2, { state: 'Stopped', destination: { kind: 'endpoint', endpoint: a } }),
        filter: filter(2, RULES_B),
      },
    ];
    handle = await buildMirrorGraph({ directionOf: allOutbound, sessions: specs, socketsPerFamily: 8 });
    handle.graph.tracer.add('pcap-input', 40);
    const tcpdump = await startTcpdump(outer, portA);
    await feedCapture(await openCapture(merged), handle.graph, () => handle.drain());
    traceText = handle.graph.tracer.show();
    const want = rowsA.length + rowsB.length;
    for (let i = 0; i < 300 && receivedA.length + receivedB.length < want; i++) await sleep(10);
    if (tcpdump !== null) {
      await sleep(200);
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.once('exit', resolve));
      tcpdumpRan = true;
    }
  });

  after(async () => {
    await handle?.close();
    for (const s of sockets) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the frames tshark selects arrive, cut to each session length, with the session VNI', (t) => {
    assert.ok(rowsA.length > 300 && rowsB.length > 100, `A ${rowsA.length}, B ${rowsB.length}`);
    t.diagnostic(`tshark selected ${rowsA.length} frames for A, ${rowsB.length} for B`);
    const headerA = [0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0];
    const headerB = [0x08, 0, 0, 0, 0, 0, VNI_B, 0];
    for (const r of receivedA) assert.deepEqual([...r.data.subarray(0, 8)], headerA);
    for (const r of receivedB) assert.deepEqual([...r.data.subarray(0, 8)], headerB);
    const inner = (list: Received[]) => list.map((r) => md5(r.data.subarray(8))).sort();
    assert.deepEqual(inner(receivedA), rowsA.map((r) => r.md5).sort());
    assert.deepEqual(inner(receivedB), rowsB.map((r) => r.md5).sort());
  });

  test('counters match what tshark selected; other sessions count nothing; drops are named', () => {
    assert.deepEqual(handle.counters(1), countersFor(rowsA, 128));
    assert.deepEqual(handle.counters(2), countersFor(rowsB, 1500));
    assert.deepEqual(handle.counters(3), {
      matched: 0,
      mirrored: 0,
      truncated: 0,
      sentBytes: 0,
      sendErrors: 0,
    });
    assert.equal(handle.counters(4), null);
    assert.deepEqual([...handle.allCounters().keys()].sort(), [1, 2, 3]);
    const total = Number(runTool('capinfos', ['-M', '-c', '-T', '-r', merged]).trim().split('\t')[1]);
    const dropped = [...handle.graph.errors.values()].reduce((a, b) => a + b, 0);
    assert.equal(dropped, total - rowsA.length - rowsB.length);
    assert.ok((handle.graph.errors.get('mirror-classify: not an IP packet (never mirrored)') ?? 0) > 0);
    assert.ok((handle.graph.errors.get('mirror-classify: not collected by any session') ?? 0) > 0);
  });

  test('one flow leaves from one source port; flows spread over several', () => {
    const streams = oneValuePerStream(rowsA, receivedA, (r) => r.sourcePort);
    assert.ok(streams > 10, `${streams} streams`);
    assert.ok(new Set(receivedA.map((r) => r.sourcePort)).size > 2);
    oneValuePerStream(rowsB, receivedB, (r) => r.sourcePort);
  });

  test('a load-balanced group gives each flow to one member, and both members get flows', () => {
    const streams = oneValuePerStream(rowsB, receivedB, (r) => r.member);
    assert.ok(streams > 5, `${streams} streams`);
    assert.ok(receivedB.some((r) => r.member === 0) && receivedB.some((r) => r.member === 1));
  });

  test('the outer packets captured on lo decode as VXLAN with the VNI and the I flag', (t) => {
    if (!tcpdumpRan) return t.skip('tcpdump cannot capture on lo here');
    const args = ['-r', outer, '-d', `udp.port==${portA},vxlan`, '-T', 'fields'];
    for (const f of ['vxlan.vni', 'vxlan.flag_i', 'udp.dstport', 'frame.protocols']) args.push('-e', f);
    const rows = runTool('tshark', args).trim().split('\n');
    assert.equal(rows.length, rowsA.length);
    for (const row of rows) {
      // An inner packet whose UDP port happens to equal the ephemeral outer port decodes as
      // VXLAN too, and adds its own values after the outer ones.
      const [vni, iFlag, dport, protocols] = row.split('\t').map((field) => field.split(',')[0]);
      assert.equal(vni, String(VNI_A));
      assert.equal(iFlag, '1');
      assert.equal(dport, String(portA));
      assert.match(protocols, /^eth:ethertype:ip:udp:vxlan:eth:ethertype:(ip|ipv6|vlan)/);
    }
  });

  test('trace shows the four mirror nodes with their decisions', () => {
    for (const node of ['mirror-classify', 'mirror-truncate', 'vxlan-encap', 'udp-output']) {
      assert.ok(traceText.includes(`: ${node}\n`), node);
      assert.ok(handle.graph.counters(node).calls > 0, node);
    }
    assert.match(traceText, /session 1 \(priority 10\): rule \d+ \(priority 100\) Collect/);
    assert.match(traceText, /frame 74 bytes, kept whole/);
    assert.match(traceText, /VXLAN vni 11259375 to 127\.0\.0\.1:\d+, outer UDP source port \d+/);
    assert.match(traceText, /sent: 82 bytes to 127\.0\.0\.1:\d+/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('mirror graph sessions and sending', () => {
  const everything = filter(1, [rule(1, 'Collect', 'ALL', '0.0.0.0/0', '0.0.0.0/0')]);
  const frame = eth4({ src: '10.0.0.1', dst: '10.0.0.2', proto: UDP, payload: l4(UDP, 1000, 53, 100) });
  let seq = 0;
  const inject = (h: MirrorGraphHandle, count: number) =>
    h.graph.inject(
      CAPTURE_INPUT,
      Array.from({ length: count }, () =>
        GraphPacket.fromRecord(seq++, {
          data: frame,
          origLen: frame.length,
          tsSec: 0,
          tsNsec: 0,
          linkType: 1,
          interfaceId: 0,
        }),
      ),
    );

  test('sessions change between vectors; counters carry over; a bad list changes nothing', async () => {
    const sender = new RecordingSender();
    const spec = { session: session(5, 1, 1, { packetLength: 64 }), filter: everything };
    const h = await buildMirrorGraph({ directionOf: allOutbound, sender, sessions: [spec] });
    inject(h, 3);
    h.setSessions([]);
    inject(h, 2);
    assert.equal(h.graph.errors.get('mirror-classify: no active session'), 2);
    assert.throws(
      () =>
        h.setSessions([
          {
            session: session(6, 2, 9),
            filter: filter(9, [rule(1, 'Collect', 'ALL', '10.0.0.0/40', '0.0.0.0/0')]),
          },
        ]),
      {
        code: 'MIRROR_BAD_CIDR',
      },
    );
    h.setSessions([spec]);
    inject(h, 1);
    // 14 + 20 + 8 + 100 = 142-byte frames cut to 64: 72-byte datagrams.
    assert.deepEqual(h.counters(5), {
      matched: 4,
      mirrored: 4,
      truncated: 4,
      sentBytes: 4 * 72,
      sendErrors: 0,
    });
    assert.equal(h.counters(6), null);
    assert.equal(sender.sent.length, 4);
    assert.deepEqual([...sender.sent[0].datagram.subarray(0, 8)], [8, 0, 0, 0, 0, 0, 5, 0]);
    assert.deepEqual([...sender.sent[0].datagram.subarray(8)], [...frame.subarray(0, 64)]);
    await h.close();
  });

  test("the mirror's own datagrams (our source port to a destination port) are never mirrored again", async () => {
    const sender = new RecordingSender();
    const spec = { session: session(5, 1, 1), filter: everything };
    const h = await buildMirrorGraph({ directionOf: allOutbound, sender, sessions: [spec] });
    const udp = (sport: number, dport: number) =>
      eth4({ src: '10.0.0.1', dst: '127.0.0.1', proto: UDP, payload: l4(UDP, sport, dport, 16) });
    const own = udp(40000, 4789);
    const vector = [own, udp(40001, 4789), udp(40000, 4790)].map((data, i) =>
      GraphPacket.fromRecord(i, {
        data,
        origLen: data.length,
        tsSec: 0,
        tsNsec: 0,
        linkType: 1,
        interfaceId: 0,
      }),
    );
    h.graph.inject(CAPTURE_INPUT, vector);
    assert.equal(
      h.graph.errors.get('mirror-classify: mirror traffic of this host (never mirrored again)'),
      1,
    );
    assert.equal(h.counters(5)?.mirrored, 2);
    await h.close();
  });

  test('a refused send (queue full) is counted as a send error and dropped with its reason', async () => {
    const sender = new RecordingSender();
    sender.outcome = SEND_QUEUE_FULL;
    const h = await buildMirrorGraph({
      directionOf: allOutbound,
      sender,
      sessions: [{ session: session(5, 1, 1), filter: everything }],
    });
    inject(h, 2);
    assert.deepEqual(h.counters(5), { matched: 2, mirrored: 0, truncated: 0, sentBytes: 0, sendErrors: 2 });
    assert.equal(h.graph.errors.get('udp-output: send queue full'), 2);
    await h.close();
  });

  test('errors the socket reports later are counted; a closed sender refuses', async () => {
    // Sending to the broadcast address without SO_BROADCAST fails in the kernel (EACCES): nothing leaves.
    const dest = { kind: 'endpoint' as const, endpoint: { host: '255.255.255.255', port: 9 } };
    const h = await buildMirrorGraph({
      directionOf: allOutbound,
      socketsPerFamily: 1,
      sessions: [{ session: session(5, 1, 1, { destination: dest }), filter: everything }],
    });
    inject(h, 2);
    await h.drain();
    for (let i = 0; i < 100 && (h.counters(5)?.sendErrors ?? 0) < 2; i++) await sleep(5);
    assert.deepEqual(h.counters(5), {
      matched: 2,
      mirrored: 2,
      truncated: 0,
      sentBytes: 2 * 150,
      sendErrors: 2,
    });
    await h.close();
    inject(h, 1);
    assert.equal(h.graph.errors.get('udp-output: no socket for the address family'), 1);
  });
});
