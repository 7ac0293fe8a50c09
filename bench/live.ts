/**
 * Issue 6's benchmark: the live capture rate each capturer sustains without losing packets.
 * Two network namespaces made for the run are joined by one veth pair; tcpreplay sends a
 * capture from one end (nothing else is sent, and only there) and on the other end, one at
 * a time, listen:
 *   - `tcpdump -i IFACE -B K -w /dev/null`, its counters asked for with SIGUSR1,
 *   - meshtap's TcpdumpSource feeding the entries graph in this process (no store),
 *   - `meshtap tap --netns NS -i IFACE --params "-B K"` (the built CLI: tcpdump → pcap on a
 *     pipe → store graph → stream files and entries), its counters read from /metrics.
 * Each capturer takes a ladder of paced rates (`tcpreplay --pps`, MESHTAP_BENCH_LIVE_SECONDS
 * of traffic each) until it loses packets, then one `--topspeed` run of
 * MESHTAP_BENCH_LIVE_PACKETS packets. Needs root and tcpreplay (a bench-only dependency).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseTcpdumpParams } from '../src/capture/tcpdump-params.js';
import { TcpdumpSource } from '../src/capture/tcpdump-source.js';
import { STATS_REFRESH_MS } from '../src/hub/tap.js';
import { feedCapture } from '../src/pipeline/feed-capture.js';
import { FlowPlane } from '../src/pipeline/flow-plane.js';
import { buildEntriesGraph, CAPTURE_INPUT } from '../src/pipeline/read-graph.js';
import { BIG_CAPTURE_FILE } from './lib/big-capture.js';
import { ratio } from './lib/measure.js';
import type { BenchContext } from './read.js';

const env = process.env;
const SECONDS_PER_RATE = Number(env.MESHTAP_BENCH_LIVE_SECONDS ?? 4);
const TOP_PACKETS = Number(env.MESHTAP_BENCH_LIVE_PACKETS ?? 300_000);
const RATES = (env.MESHTAP_BENCH_LIVE_RATES ?? '500,1000,2000,5000,10000,20000,50000,100000,200000')
  .split(',')
  .map(Number);
/** Every capturer gets the same kernel buffer; 2048 KiB is tcpdump's own default. */
const BUFFER_KIB = Number(env.MESHTAP_BENCH_LIVE_BUFFER_KIB ?? 2048);
/** Ethernet, a mix of HTTP flows: replayed in a loop when there is no big capture. */
const FALLBACK_CAPTURE = 'zeek__docker-http-upgrade.pcap';
const SMALL_CAPTURE_BYTES = 64 << 20;
const POLL_MS = 500;
const MAX_POLLS = 240;
/** tcpreplay below this share of the asked rate means the sender, not the capturer, is the limit. */
const SENDER_BOUND = 0.5;
/**
 * A capturer that keeps up has every packet within about a second of the sender stopping
 * (libpcap hands over a ring block at the latest after its 1 s timeout); a longer drain
 * means the kernel buffer was hiding a growing backlog, which a longer run would drop.
 */
const KEPT_UP_DRAIN_SECONDS = 2;

interface Counters {
  captured: number;
  drops: number;
}

/** One capturer, started once and kept on the capture end for all its runs; runs take deltas. */
interface Capturer {
  label: string;
  read(): Promise<Counters>;
  /** How long the kernel drop counter may lag behind the packet counter. */
  dropsLagMs: number;
  stop(): Promise<void>;
}

interface VethPair {
  txNetns: string;
  rxNetns: string;
  txIface: string;
  rxIface: string;
}

interface Replay {
  sent: number;
  seconds: number;
}

interface RunResult {
  traffic: string;
  capturer: string;
  askedPps: number | null;
  replay: Replay;
  captured: number;
  drops: number;
  drainSeconds: number;
}

/** Cleanup steps, run in reverse on the way out: normal end, error or Ctrl-C. */
class Cleanup {
  private steps: Array<() => void> = [];
  add(step: () => void): void {
    this.steps.push(step);
  }
  run(): void {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step();
      } catch {
        // Already gone: each step is best effort.
      }
    }
  }
}

/** Why the bench cannot run here, or null. */
function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (it creates network namespaces)';
  if (spawnSync('tcpreplay', ['--version']).error) {
    return 'tcpreplay is not installed: apt-get install tcpreplay (Debian/Ubuntu; a bench-only dependency)';
  }
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'iproute2 (ip netns) is not usable here';
  return null;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Two fresh namespaces joined by a veth pair, no addresses and no IPv6: the replayed packets are the only traffic. */
function createVethPair(cleanup: Cleanup): VethPair {
  const tag = `mtlive${process.pid}`;
  const pair = { txNetns: `${tag}-tx`, rxNetns: `${tag}-rx`, txIface: 'lt-tx', rxIface: 'lt-rx' };
  for (const ns of [pair.txNetns, pair.rxNetns]) {
    ip(['netns', 'add', ns]);
    cleanup.add(() => ip(['netns', 'del', ns]));
    // Router solicitations and MLD reports would otherwise be counted as captured packets.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1'], {
      stdio: 'pipe',
    });
  }
  ip(['-n', pair.txNetns, 'link', 'add', pair.txIface, 'type', 'veth', 'peer', 'name', pair.rxIface]);
  ip(['-n', pair.txNetns, 'link', 'set', pair.rxIface, 'netns', pair.rxNetns]);
  // Corpus frames longer than 1500 bytes (segmentation offload) must fit too.
  ip(['-n', pair.txNetns, 'link', 'set', pair.txIface, 'mtu', '65535', 'up']);
  ip(['-n', pair.rxNetns, 'link', 'set', pair.rxIface, 'mtu', '65535', 'up']);
  return pair;
}

/** Collects a child's stderr, keeping a bounded tail, and lets callers wait for a pattern in it. */
function stderrOf(child: ChildProcess): {
  tail: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<RegExpExecArray>;
} {
  let text = '';
  const waiters: Array<() => void> = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-16_384);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (re: RegExp, ms: number): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`timed out waiting for ${re}: ${text.slice(-500)}`)),
        ms,
      );
      const check = (): void => {
        const m = re.exec(text);
        if (m !== null) {
          clearTimeout(deadline);
          resolve(m);
        } else if (child.exitCode !== null) {
          clearTimeout(deadline);
          reject(new Error(`exited ${child.exitCode}: ${text.slice(-500)}`));
        } else waiters.push(check);
      };
      check();
    });
  return { tail: () => text, waitFor };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, pid = child.pid): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  process.kill(pid, signal);
  const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const TCPDUMP_STATS =
  /(\d+) packets? captured, \d+ packets? received by filter, (\d+) packets? dropped by kernel$/;

/** Plain `tcpdump -w /dev/null`; SIGUSR1 makes it print its counters, one line per request. */
async function startTcpdump(pair: VethPair, cleanup: Cleanup): Promise<Capturer> {
  const argv = ['-i', pair.rxIface, '-B', String(BUFFER_KIB), '-w', '/dev/null'];
  const child = spawn('ip', ['netns', 'exec', pair.rxNetns, 'tcpdump', ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanup.add(() => child.kill('SIGKILL'));
  const stderr = stderrOf(child);
  const answers: Array<(c: Counters) => void> = [];
  let partial = '';
  child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = TCPDUMP_STATS.exec(line);
      if (m !== null) answers.shift()?.({ captured: Number(m[1]), drops: Number(m[2]) });
    }
  });
  await stderr.waitFor(/listening on/, 30_000);
  return {
    label: 'tcpdump -w /dev/null',
    dropsLagMs: 0,
    read() {
      const answer = new Promise<Counters>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`tcpdump gave no counters: ${stderr.tail()}`)),
          10_000,
        );
        answers.push((c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      child.kill('SIGUSR1');
      return answer;
    },
    stop: () => stopChild(child, 'SIGINT'),
  };
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

/** The real `meshtap tap` on the capture end, with a throwaway data directory. */
async function startTap(ctx: BenchContext, pair: VethPair, cleanup: Cleanup): Promise<Capturer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshtap-live-'));
  cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
  const fixed = 'tap --listen 127.0.0.1:0 --no-auth --log-level warn'.split(' ');
  const where = ['--netns', pair.rxNetns, '-i', pair.rxIface, '--params', `-B ${BUFFER_KIB}`];
  const argv = [ctx.meshtapBin, ...fixed, ...where, '--data', dataDir];
  // Its own process group, so its tcpdump can be ended with it whatever happens.
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const group = child.pid;
  cleanup.add(() => group !== undefined && process.kill(-group, 'SIGKILL'));
  // Start-up is slow on a loaded machine: modules, SQLite, then tcpdump.
  const url = (await stderrOf(child).waitFor(/API on (http:\/\/\S+)/, 120_000))[1];
  return {
    label: 'meshtap tap',
    dropsLagMs: STATS_REFRESH_MS + POLL_MS,
    async read() {
      const text = await (await fetch(`${url}/metrics`)).text();
      return {
        captured: metric(text, 'meshtap_packets_total'),
        drops: metric(text, 'meshtap_kernel_drops_total'),
      };
    },
    stop: () => stopChild(child, 'SIGINT'),
  };
}

/**
 * meshtap's capture source and entries graph in this process (decode, flows, reassembly,
 * dissectors; entries counted, no store): the tap's live path without its store.
 */
async function startEntriesGraph(pair: VethPair, cleanup: Cleanup): Promise<Capturer> {
  // The same parameters, through the same parser, as the tap's `-i IFACE --params "-B K"`.
  const params = parseTcpdumpParams(['-i', pair.rxIface, '-B', String(BUFFER_KIB)]);
  const source = new TcpdumpSource({ params, netns: pair.rxNetns });
  await source.start();
  const pid = source.pid;
  cleanup.add(() => pid !== null && process.kill(pid, 'SIGKILL'));
  const graph = buildEntriesGraph({ plane: new FlowPlane({ onEntry: () => undefined }) });
  const fed = feedCapture(await source.reader(), graph);
  return {
    label: 'TcpdumpSource → entries graph',
    dropsLagMs: 0,
    async read() {
      const stats = await source.stats();
      return { captured: graph.counters(CAPTURE_INPUT).vectors, drops: stats?.droppedByKernel ?? 0 };
    },
    async stop() {
      await source.stop();
      await fed;
    },
  };
}

/** Waits until the capturer's packet count stops moving (two still polls), then for its drop counter. */
async function settle(capturer: Capturer): Promise<{ counters: Counters; drainSeconds: number }> {
  const started = performance.now();
  let last = await capturer.read();
  let changedAt = started;
  let still = 0;
  for (let i = 0; i < MAX_POLLS && still < 2; i++) {
    await sleep(POLL_MS);
    const now = await capturer.read();
    still = now.captured === last.captured ? still + 1 : 0;
    if (still === 0) changedAt = performance.now();
    last = now;
  }
  if (still < 2)
    throw new Error(`${capturer.label} was still capturing after ${(MAX_POLLS * POLL_MS) / 1000} s`);
  if (capturer.dropsLagMs > 0) {
    await sleep(capturer.dropsLagMs);
    last = await capturer.read();
  }
  return { counters: last, drainSeconds: (changedAt - started) / 1000 };
}

async function replay(pair: VethPair, file: string, packets: number, pps: number | null): Promise<Replay> {
  const pace = pps === null ? ['--topspeed'] : ['--pps', String(pps)];
  // --loop 0 repeats a short capture until --limit packets have gone out.
  const argv = ['-i', pair.txIface, ...pace, '--loop', '0', '--limit', String(packets), '--no-flow-stats'];
  const child = spawn('ip', ['netns', 'exec', pair.txNetns, 'tcpreplay', ...argv, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-16_384)));
  const stderr = stderrOf(child);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const actual = /Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out);
  if (status !== 0 || actual === null) {
    throw new Error(`tcpreplay exited ${status}: ${(out + stderr.tail()).slice(-800)}`);
  }
  const successful = /Successful packets:\s+(\d+)/.exec(out);
  return { sent: Number(successful?.[1] ?? actual[1]), seconds: Number(actual[2]) };
}

async function measure(
  capturer: Capturer,
  before: Counters,
  send: () => Promise<Replay>,
  traffic: string,
  askedPps: number | null,
): Promise<{ run: RunResult; after: Counters }> {
  const sent = await send();
  const { counters: after, drainSeconds } = await settle(capturer);
  const run = {
    traffic,
    capturer: capturer.label,
    askedPps,
    replay: sent,
    captured: after.captured - before.captured,
    drops: after.drops - before.drops,
    drainSeconds,
  };
  return { run, after };
}

function lossless(run: RunResult): boolean {
  return run.drops === 0 && run.captured >= run.replay.sent;
}

function sentPps(run: RunResult): number {
  return run.replay.sent / run.replay.seconds;
}

/** The paced ladder until the first loss (or until the sender cannot keep the rate), then one top-speed run. */
async function runAll(capturer: Capturer, pair: VethPair, file: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let before = (await settle(capturer)).counters;
  for (const rate of RATES) {
    const packets = Math.round(rate * SECONDS_PER_RATE);
    const m = await measure(capturer, before, () => replay(pair, file, packets, rate), `${rate} pps`, rate);
    results.push(m.run);
    before = m.after;
    if (!lossless(m.run) || sentPps(m.run) < rate * SENDER_BOUND) break;
  }
  const top = await measure(capturer, before, () => replay(pair, file, TOP_PACKETS, null), 'topspeed', null);
  return [...results, top.run];
}

async function phase(start: () => Promise<Capturer>, pair: VethPair, file: string): Promise<Phase> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const capturer = await start();
  try {
    return { runs: await runAll(capturer, pair, file), load };
  } finally {
    await capturer.stop();
  }
}

/** The first TOP_PACKETS packets of the big capture, cut once so tcpreplay reads a small file; a small capture as it is. */
function trafficFile(ctx: BenchContext): string {
  if (statSync(ctx.bigCapture).size < SMALL_CAPTURE_BYTES) return ctx.bigCapture;
  const slice = join(ctx.outDir, `live-slice-${TOP_PACKETS}.pcap`);
  if (!existsSync(slice)) {
    execFileSync('tcpdump', ['-r', ctx.bigCapture, '-c', String(TOP_PACKETS), '-w', slice], {
      stdio: 'pipe',
    });
  }
  return slice;
}

const kpps = (n: number): string => `${(n / 1e3).toFixed(1)} k`;

/** Packets captured per second from the sender's start until the capturer had them all. */
function capturedPps(run: RunResult): number {
  return run.captured / (run.replay.seconds + run.drainSeconds);
}

function runRow(run: RunResult): string {
  const lost = Math.max(0, run.replay.sent - run.captured - run.drops);
  return (
    `| ${run.traffic} | ${run.capturer} | ${run.replay.sent} | ${kpps(sentPps(run))} | ${run.captured} | ` +
    `${run.drops} | ${lost} | ${run.drainSeconds.toFixed(1)} | ${kpps(capturedPps(run))} |`
  );
}

/** The highest sender rate (measured, packets/s) of a paced run that passes `ok`; 0 when none. */
function bestRate(runs: RunResult[], ok: (r: RunResult) => boolean): number {
  const passed = runs.filter((r) => r.askedPps !== null && ok(r));
  return passed.length === 0 ? 0 : Math.max(...passed.map(sentPps));
}

interface Phase {
  runs: RunResult[];
  load: string;
}

function printSummary(phases: Phase[]): void {
  const top = (p: Phase): RunResult => p.runs[p.runs.length - 1];
  const asPps = (n: number): string => (n === 0 ? 'none' : `${kpps(n)}pps`);
  const rows: Array<[string, (p: Phase) => number, (n: number) => string]> = [
    ['highest paced rate, no loss (sender pps)', (p) => bestRate(p.runs, lossless), asPps],
    [
      `highest paced rate, no loss, drained within ${KEPT_UP_DRAIN_SECONDS} s`,
      (p) => bestRate(p.runs, (r) => lossless(r) && r.drainSeconds <= KEPT_UP_DRAIN_SECONDS),
      asPps,
    ],
    [
      'topspeed: share of sent packets captured',
      (p) => top(p).captured / top(p).replay.sent,
      (n) => `${(n * 100).toFixed(1)} %`,
    ],
    ['topspeed: captured packets/s (send + drain)', (p) => capturedPps(top(p)), asPps],
  ];
  const [base, ...others] = phases;
  const names = phases.map((p) => top(p).capturer);
  console.log(
    `| | ${names.join(' | ')} | ${others.map((p) => `${top(p).capturer} / tcpdump`).join(' | ')} |`,
  );
  console.log(`|---|${names.map(() => '---|').join('')}${others.map(() => '---|').join('')}`);
  for (const [label, value, show] of rows) {
    const x = value(base);
    const ratios = others.map((p) => (x > 0 && value(p) > 0 ? ratio(value(p), x) : 'n/a'));
    console.log(`| ${label} | ${phases.map((p) => show(value(p))).join(' | ')} | ${ratios.join(' | ')} |`);
  }
}

export async function benchLive(ctx: BenchContext): Promise<void> {
  const why = unavailable();
  if (why !== null) {
    console.log(`\n## live: skipped, ${why}`);
    return;
  }
  const file = trafficFile(ctx);
  const cleanup = new Cleanup();
  const onSignal = (): void => {
    cleanup.run();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    const pair = createVethPair(cleanup);
    const phases = [
      await phase(() => startTcpdump(pair, cleanup), pair, file),
      await phase(() => startEntriesGraph(pair, cleanup), pair, file),
      await phase(() => startTap(ctx, pair, cleanup), pair, file),
    ];
    console.log(
      `\n## live (veth pair, tcpreplay of ${file}; kernel buffer ${BUFFER_KIB} KiB for every capturer)`,
    );
    console.log(
      '| traffic | capturer | sent | sent/s | captured | kernel drops | lost before capture | drain s | captured/s |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const run of phases.flatMap((p) => p.runs)) console.log(runRow(run));
    printSummary(phases);
    const loads = phases.map((p) => `${p.runs[0].capturer}: ${p.load}`);
    console.log(`load average (1, 5, 15 min) when each capturer started: ${loads.join('; ')}`);
  } finally {
    process.off('SIGINT', onSignal);
    cleanup.run();
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = join(root, 'bench', 'out');
  const big = join(outDir, BIG_CAPTURE_FILE);
  const corpus = env.MESHTAP_CORPUS ?? resolve(root, '..', 'shared', 'corpus');
  const meshtapBin = join(root, 'dist', 'bin', 'meshtap.js');
  if (!existsSync(meshtapBin)) throw new Error(`${meshtapBin} is missing: run "npm run build" first`);
  mkdirSync(outDir, { recursive: true });
  const bigCapture = existsSync(big) ? big : join(corpus, 'pcaps', FALLBACK_CAPTURE);
  await benchLive({ bigCapture, outDir, meshtapBin });
}
