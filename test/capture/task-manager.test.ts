import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureTaskManager } from '../../src/capture/task-manager.js';
import { TcpdumpSource } from '../../src/capture/tcpdump-source.js';
import { openStoreDatabase, type StoreDatabase } from '../../src/store/database.js';
import { createLab, labUnavailable, type Lab } from '../helpers/netns.js';
import { runTool } from '../helpers/tools.js';

const skip = labUnavailable();

/** A bounded UDP burst from one lab host to another: `count` datagrams of `size` bytes. */
function udpBurst(lab: Lab, from: number, to: number, port: number, count: number, size = 32): void {
  const script = `const s=require('dgram').createSocket('udp4');let i=0;const b=Buffer.alloc(${size},120);
const next=()=>{if(i++>=${count}){s.close();return;}s.send(b,${port},'${lab.hosts[to].ip}',next)};next();`;
  lab.exec(lab.hosts[from], [process.execPath, '-e', script]);
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

describe('capture tasks', { skip: skip ?? false }, () => {
  let lab: Lab;
  let dir: string;
  let db: StoreDatabase;
  let manager: CaptureTaskManager;

  before(() => {
    lab = createLab(3);
    dir = mkdtempSync(join(tmpdir(), 'meshtap-tasks-test-'));
    db = openStoreDatabase(join(dir, 'hub.sqlite'));
    manager = new CaptureTaskManager({ db, dir: join(dir, 'captures') });
  });
  after(async () => {
    await manager?.close();
    db?.close();
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a task on one namespace captures exactly that namespace's traffic, then completes", async () => {
    const [target, peer] = lab.hosts;
    const task = manager.create({
      target: `netns:${target.netns}`,
      // Long enough that the senders (new node processes in the lab, slow under load) run inside it.
      durationSeconds: 10,
      tcpdumpParams: '-i eth0 udp',
      fileName: 'ns0.pcap',
    });
    assert.equal(task.host.length > 0, true);
    await until(() => manager.get(task.id).state === 'Running');
    assert.equal(manager.get(task.id).state, 'Running');
    udpBurst(lab, 1, 0, 9999, 20); // into the target namespace: captured
    udpBurst(lab, 1, 2, 9999, 15); // between two other namespaces: not the target's traffic
    const done = await manager.settledTask(task.id);
    assert.equal(done.state, 'Complete', done.reason ?? '');
    assert.equal(done.packets, 20);
    assert.equal(done.kernelDrops, 0);
    const path = manager.downloadPath(task.id);
    assert.equal(done.sizeBytes, statSync(path).size);
    const rows = runTool('tshark', [
      '-r',
      path,
      '-T',
      'fields',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'udp.dstport',
    ])
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(rows.length, 20);
    assert.ok(
      rows.every((r) => r === `${peer.ip}\t${target.ip}\t9999`),
      rows.join('\n'),
    );
  });

  test('a size limit ends the task early with a file within the limit; pcapng when asked', async () => {
    const task = manager.create({
      target: `netns:${lab.hosts[0].netns}`,
      durationSeconds: 20,
      tcpdumpParams: 'udp',
      fileName: 'limited.pcapng',
      sizeLimitBytes: 65536,
    });
    await until(() => manager.get(task.id).state === 'Running');
    udpBurst(lab, 1, 0, 9999, 120, 1000);
    const done = await manager.settledTask(task.id);
    assert.equal(done.state, 'Complete');
    assert.equal(done.reason, 'size limit reached');
    assert.ok(done.sizeBytes <= 65536 && done.sizeBytes > 60000, String(done.sizeBytes));
    const info = runTool('capinfos', ['-t', '-c', '-M', done.path]);
    assert.match(info, /File type:\s+pcapng\n/);
    assert.match(info, new RegExp(`Number of packets:\\s+${done.packets}\\n`));
  });

  test('hostile requests are refused with stable codes and change nothing on disk', () => {
    const before = readdirSync(join(dir, 'captures')).sort();
    const rows = manager.list().length;
    const bad: Array<[Record<string, unknown>, string]> = [
      [
        { fileName: 'x.pcap', durationSeconds: 5, tcpdumpParams: '-i eth0 -w /etc/x' },
        'CAPTURE_FORBIDDEN_FLAG',
      ],
      [{ fileName: 'x.pcap', durationSeconds: 5, tcpdumpParams: '-z /bin/sh' }, 'CAPTURE_FORBIDDEN_FLAG'],
      [{ fileName: 'x.pcap', durationSeconds: 5, tcpdumpParams: '--foo' }, 'CAPTURE_UNKNOWN_FLAG'],
      [{ fileName: 'x.pcap', durationSeconds: 5, tcpdumpParams: 'tcp port' }, 'FILTER_SYNTAX'],
      [{ fileName: '../x.pcap', durationSeconds: 5 }, 'TASK_BAD_FILE_NAME'],
      [{ fileName: '/etc/x.pcap', durationSeconds: 5 }, 'TASK_BAD_FILE_NAME'],
      [{ fileName: '.hidden.pcap', durationSeconds: 5 }, 'TASK_BAD_FILE_NAME'],
      [{ fileName: 'x.txt', durationSeconds: 5 }, 'TASK_BAD_FILE_NAME'],
      [{ fileName: `${'a'.repeat(200)}.pcap`, durationSeconds: 5 }, 'TASK_BAD_FILE_NAME'],
      [{ fileName: 'x.pcap', durationSeconds: 10 ** 9 }, 'TASK_BAD_DURATION'],
      [{ fileName: 'x.pcap', durationSeconds: 0 }, 'TASK_BAD_DURATION'],
      [{ fileName: 'x.pcap', durationSeconds: '5' }, 'TASK_BAD_DURATION'],
      [{ fileName: 'x.pcap', durationSeconds: 5, sizeLimitBytes: 10 }, 'TASK_BAD_SIZE_LIMIT'],
      [{ fileName: 'x.pcap', durationSeconds: 5, target: 'netns:../../x' }, 'TASK_BAD_TARGET'],
      [{ fileName: 'ns0.pcap', durationSeconds: 5 }, 'TASK_DUPLICATE_FILE_NAME'],
    ];
    for (const [req, code] of bad) assert.throws(() => manager.create(req), { code }, JSON.stringify(req));
    assert.deepEqual(readdirSync(join(dir, 'captures')).sort(), before);
    assert.equal(manager.list().length, rows);
  });

  test('delete stops a running task, removes its file, and frees its name', async () => {
    const task = manager.create({
      target: `netns:${lab.hosts[0].netns}`,
      durationSeconds: 60,
      fileName: 'gone.pcap',
    });
    await until(() => manager.get(task.id).state === 'Running');
    const deleted = await manager.delete(task.id);
    assert.equal(deleted.state, 'Deleted');
    assert.equal(existsSync(task.path), false);
    assert.throws(() => manager.get(task.id), { code: 'TASK_NOT_FOUND' });
    const again = manager.create({
      target: 'netns:' + lab.hosts[0].netns,
      durationSeconds: 1,
      fileName: 'gone.pcap',
    });
    assert.equal((await manager.settledTask(again.id)).state, 'Complete');
  });

  test('the duration counts from when tcpdump listens, however slow it is to start', async () => {
    // A tcpdump that takes 2 s to start: longer than the whole 1-second task.
    const slow = join(dir, 'slow-tcpdump');
    writeFileSync(slow, '#!/bin/sh\nsleep 2\nexec tcpdump "$@"\n', { mode: 0o755 });
    const slowDb = openStoreDatabase(join(dir, 'slow.sqlite'));
    const slowManager = new CaptureTaskManager({
      db: slowDb,
      dir: join(dir, 'slow'),
      sourceFactory: (spec) =>
        new TcpdumpSource({ params: spec.params, netns: lab.hosts[0].netns, tcpdump: slow }),
    });
    try {
      const task = slowManager.create({
        target: `netns:${lab.hosts[0].netns}`,
        durationSeconds: 1,
        fileName: 'slow.pcap',
      });
      const done = await slowManager.settledTask(task.id);
      assert.equal(done.state, 'Complete', done.reason ?? '');
      const captured = Date.parse(done.endedAt ?? '') - Date.parse(done.startedAt ?? '');
      assert.ok(captured >= 1000, `captured for ${captured} ms`);
      assert.ok(Date.parse(done.startedAt ?? '') - Date.parse(done.createdAt) >= 2000);
    } finally {
      await slowManager.close();
      slowDb.close();
    }
  });

  test('a task running when its process is killed is Failed after restart, partial file kept', async () => {
    const crashDir = join(dir, 'crash');
    const script = `
      import { CaptureTaskManager } from './src/capture/task-manager.ts';
      import { openStoreDatabase } from './src/store/database.ts';
      const m = new CaptureTaskManager({ db: openStoreDatabase(${JSON.stringify(join(crashDir, 'hub.sqlite'))}), dir: ${JSON.stringify(crashDir)} });
      const t = m.create({ target: 'netns:${lab.hosts[0].netns}', durationSeconds: 120, tcpdumpParams: 'udp', fileName: 'crash.pcap' });
      const poll = setInterval(() => { if (m.get(t.id).state === 'Running') { clearInterval(poll); console.log('running'); } }, 50);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => d.toString().includes('running') && resolve()),
    );
    udpBurst(lab, 1, 0, 9999, 10);
    await new Promise((r) => setTimeout(r, 1500)); // past one progress write
    const tcpdumpPid = Number(runTool('pgrep', ['-P', String(child.pid), 'tcpdump']).trim());
    assert.ok(tcpdumpPid > 0, 'the task runs tcpdump as a child');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));

    const crashDb = openStoreDatabase(join(crashDir, 'hub.sqlite'));
    try {
      const restarted = new CaptureTaskManager({ db: crashDb, dir: crashDir });
      // The restart ends the capture its killed owner left running.
      await until(() => !existsSync(`/proc/${tcpdumpPid}`), 3000);
      assert.equal(existsSync(`/proc/${tcpdumpPid}`), false, 'the orphaned tcpdump still runs');
      const [task] = restarted.list();
      assert.equal(task.state, 'Failed');
      assert.match(task.reason ?? '', /stopped while the task was running/);
      assert.ok(existsSync(task.path));
      const count = runTool('capinfos', ['-c', '-M', task.path]);
      assert.match(count, /Number of packets:\s+10\n/);
      await restarted.close();
    } finally {
      crashDb.close();
    }
  });
});
