import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpdumpSource } from '../../src/capture/tcpdump-source.js';
import { parseTcpdumpParams } from '../../src/capture/tcpdump-params.js';
import { decodePacket } from '../../src/decode/index.js';
import type { PacketRecord } from '../../src/pcap/index.js';
import { createLab, labUnavailable, type Lab } from '../helpers/netns.js';

const skip = labUnavailable();

/** A bounded UDP burst from one lab host: `count` datagrams to each port, then exit. */
function udpBurst(lab: Lab, from: number, to: string, ports: number[], count: number): void {
  const script = `const s=require('dgram').createSocket('udp4');const ports=${JSON.stringify(ports)};let i=0;
const next=()=>{if(i>=${count}*ports.length){s.close();return;}const p=ports[i%ports.length];s.send('meshtap '+i++,p,'${to}',next)};next();`;
  lab.exec(lab.hosts[from], [process.execPath, '-e', script]);
}

describe('live capture through tcpdump inside a network namespace', { skip: skip ?? false }, () => {
  let lab: Lab;
  before(() => {
    lab = createLab(2);
  });
  after(() => lab?.destroy());

  test('captures exactly the filtered traffic of the namespace and reports kernel counters', async () => {
    const [server, client] = lab.hosts;
    const source = new TcpdumpSource({
      params: parseTcpdumpParams(`-i eth0 udp dst port 9999`),
      netns: server.netns,
    });
    await source.start();
    // The reader opens with the first packet: tcpdump writes the file header along with it.
    const opening = source.reader();
    udpBurst(lab, 1, server.ip, [9999, 9998], 25);
    const reader = await opening;
    const seen: string[] = [];
    const collecting = (async () => {
      for await (const batch of reader.batches()) for (const r of batch) seen.push(udpTarget(r));
    })();
    for (let waited = 0; seen.length < 25 && waited < 5000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    const live = await source.stats();
    const final = await source.stop();
    await collecting;
    assert.equal(seen.length, 25);
    assert.ok(
      seen.every((s) => s === `${client.ip}>${server.ip}:9999`),
      seen.join(' '),
    );
    // Asked after all 25 were read: the kernel's filter has passed at least those 25.
    assert.ok(live !== null && live.receivedByFilter >= 25, JSON.stringify(live));
    assert.ok(final !== null);
    assert.equal(final.captured, 25);
    assert.equal(final.droppedByKernel, 0);
  });

  test('says what is missing: tcpdump, the namespace, the interface', async () => {
    const params = parseTcpdumpParams('-i eth0');
    await assert.rejects(new TcpdumpSource({ params, tcpdump: '/nonexistent/tcpdump' }).start(), {
      code: 'CAPTURE_TCPDUMP_MISSING',
    });
    await assert.rejects(async () => new TcpdumpSource({ params, netns: 'meshtap-no-such-ns' }).start(), {
      code: 'CAPTURE_NO_SUCH_NETNS',
    });
    const noIface = new TcpdumpSource({
      params: parseTcpdumpParams('-i nosuch0'),
      netns: lab.hosts[0].netns,
    });
    await assert.rejects(noIface.start(), { code: 'CAPTURE_NO_SUCH_INTERFACE' });
  });
});

describe('tcpdump counters', () => {
  test('a counters line written in pieces, as tcpdump does, is still read', async () => {
    // strace of Debian's tcpdump 4.99 on SIGUSR1 shows one write(2) per fragment, so the line can arrive in
    // pieces; the fake writes the same fragments and waits between two of them so that they surely do.
    const dir = mkdtempSync(join(tmpdir(), 'meshtap-fake-tcpdump-'));
    try {
      const fake = join(dir, 'tcpdump');
      writeFileSync(
        fake,
        `#!/bin/sh
counters() {
  kill $! 2>/dev/null
  printf 'tcpdump: ' >&2
  printf '7 packets captured' >&2
  printf ', ' >&2
  sleep 0.2
  printf '9 packets received by filter' >&2
  printf ', ' >&2
  printf '1 packet dropped by kernel' >&2
  printf '\\n' >&2
}
trap counters USR1
trap 'kill $! 2>/dev/null; exit 0' INT
printf 'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\\n' >&2
# Waiting on a background sleep lets a trapped signal be answered at once; the traps end that sleep.
while :; do sleep 600 >/dev/null 2>&1 & wait $!; done
`,
      );
      chmodSync(fake, 0o755);
      const source = new TcpdumpSource({ params: parseTcpdumpParams('-i eth0'), tcpdump: fake });
      await source.start();
      try {
        assert.deepEqual(await source.stats(), { captured: 7, receivedByFilter: 9, droppedByKernel: 1 });
      } finally {
        await source.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `src>dst:port` of a UDP/IPv4 packet, from meshtap's decoders. */
function udpTarget(r: PacketRecord): string {
  const layers = decodePacket(r.data, r.linkType);
  const ip = layers.find((l) => l.kind === 'ipv4') as unknown as { src: number; dst: number } | undefined;
  const udp = layers.find((l) => l.kind === 'udp') as unknown as { dstPort: number } | undefined;
  const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return ip === undefined ? '?' : `${dotted(ip.src)}>${dotted(ip.dst)}:${udp?.dstPort}`;
}
