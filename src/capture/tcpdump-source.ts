import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { openCapture, type CaptureReader } from '../pcap/index.js';
import { MeshtapError } from '../util/errors.js';
import { tcpdumpArgv, type CaptureParams } from './tcpdump-params.js';

/** Counters libpcap keeps for a live capture. */
export interface CaptureStats {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
}

/**
 * A live packet source. The graph only sees the CaptureReader, so a native AF_PACKET
 * source can replace tcpdump later without touching anything downstream.
 */
export interface LiveCaptureSource {
  /** Starts capturing; resolves once the kernel side is listening (traffic from then on is seen). */
  start(): Promise<void>;
  /** The packets, as a capture reader; ends when the source stops. */
  reader(): Promise<CaptureReader>;
  /** The latest counters (asked for now), or null before any arrived. */
  stats(): Promise<CaptureStats | null>;
  /** Stops capturing and returns the final counters. */
  stop(): Promise<CaptureStats | null>;
  /** The capturing process, once started (recorded so a restart can end a capture its dead owner left running). */
  readonly pid: number | null;
}

export interface TcpdumpSourceOptions {
  params: CaptureParams;
  /** Capture inside this network namespace (`ip netns exec`), the stand-in for a pod's namespace. */
  netns?: string;
  tcpdump?: string;
  /** How long to wait for tcpdump to report that it listens. */
  startTimeoutMs?: number;
}

export const LIVE_CAPTURE_CODES = {
  CAPTURE_TCPDUMP_MISSING: 'CAPTURE_TCPDUMP_MISSING',
  CAPTURE_NO_PERMISSION: 'CAPTURE_NO_PERMISSION',
  CAPTURE_NO_SUCH_INTERFACE: 'CAPTURE_NO_SUCH_INTERFACE',
  CAPTURE_NO_SUCH_NETNS: 'CAPTURE_NO_SUCH_NETNS',
  CAPTURE_START_FAILED: 'CAPTURE_START_FAILED',
} as const;
const C = LIVE_CAPTURE_CODES;

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const FINAL_STATS =
  /(\d+) packets? captured\n(\d+) packets? received by filter\n(\d+) packets? dropped by kernel/;
/** How long stats() waits for tcpdump's answer to SIGUSR1 before returning the counters it had. */
const STATS_WAIT_MS = 3000;
const STATS_LINE =
  /(\d+) packets? captured, (\d+) packets? received by filter, (\d+) packets? dropped by kernel/;

/** Live capture through the Debian `tcpdump` binary, run with an argument vector (never a shell), pcap on its stdout. */
export class TcpdumpSource implements LiveCaptureSource {
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private stderrText = '';
  /** stderr since its last newline: tcpdump writes a counters line in several writes, which can arrive apart. */
  private partialLine = '';
  private latest: CaptureStats | null = null;
  private statsWaiters: Array<(s: CaptureStats | null) => void> = [];
  private exited: Promise<number | null> | null = null;

  constructor(private readonly opts: TcpdumpSourceOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(): Promise<void> {
    const { command, args } = this.commandLine();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.onStderr(text));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new MeshtapError(
              C.CAPTURE_START_FAILED,
              `tcpdump did not start listening: ${this.stderrText.trim()}`,
            ),
          ),
        this.opts.startTimeoutMs ?? 10_000,
      );
      const listening = (): void => {
        if (!this.stderrText.includes('listening on')) return;
        clearTimeout(timer);
        child.stderr.off('data', listening);
        resolve();
      };
      child.stderr.on('data', listening);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          err.code === 'ENOENT'
            ? new MeshtapError(
                C.CAPTURE_TCPDUMP_MISSING,
                `${command} not found: install it with "apt-get install tcpdump" (Debian/Ubuntu)`,
              )
            : new MeshtapError(C.CAPTURE_START_FAILED, `cannot run ${command}: ${err.message}`),
        );
      });
      child.once('close', () => {
        clearTimeout(timer);
        reject(this.startFailure());
      });
    });
  }

  reader(): Promise<CaptureReader> {
    if (this.child === null) throw new MeshtapError(C.CAPTURE_START_FAILED, 'the capture was not started');
    return openCapture(this.child.stdout);
  }

  /** Asks tcpdump for its counters (SIGUSR1 makes it print them) and waits briefly for the line. */
  stats(): Promise<CaptureStats | null> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return Promise.resolve(this.latest);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.latest), STATS_WAIT_MS);
      this.statsWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      child.kill('SIGUSR1');
    });
  }

  async stop(): Promise<CaptureStats | null> {
    const child = this.child;
    if (child === null) return this.latest;
    // SIGINT lets tcpdump flush its file and print the final counters; SIGKILL is the fallback.
    if (child.exitCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    this.parseFinalStats();
    return this.latest;
  }

  private commandLine(): { command: string; args: string[] } {
    const tcpdump = this.opts.tcpdump ?? 'tcpdump';
    const args = tcpdumpArgv(this.opts.params, '-');
    const ns = this.opts.netns;
    if (ns === undefined) return { command: tcpdump, args };
    if (!NETNS_NAME.test(ns) || !existsSync(`/run/netns/${ns}`)) {
      throw new MeshtapError(
        C.CAPTURE_NO_SUCH_NETNS,
        `no network namespace named ${JSON.stringify(ns)} (see "ip netns list")`,
      );
    }
    return { command: 'ip', args: ['netns', 'exec', ns, tcpdump, ...args] };
  }

  private onStderr(text: string): void {
    // Keep only a bounded tail: a long capture prints a stats line per request.
    this.stderrText = (this.stderrText + text).slice(-16_384);
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = (lines.pop() ?? '').slice(-1024);
    for (const line of lines) {
      const m = STATS_LINE.exec(line);
      if (m === null) continue;
      this.latest = { captured: Number(m[1]), receivedByFilter: Number(m[2]), droppedByKernel: Number(m[3]) };
      for (const w of this.statsWaiters.splice(0)) w(this.latest);
    }
  }

  /** At exit tcpdump prints the counters on three lines instead of one. */
  private parseFinalStats(): void {
    const m = FINAL_STATS.exec(this.stderrText);
    if (m !== null) {
      this.latest = { captured: Number(m[1]), receivedByFilter: Number(m[2]), droppedByKernel: Number(m[3]) };
    }
  }

  private startFailure(): MeshtapError {
    const text = this.stderrText.trim();
    if (/permission|not permitted/i.test(text)) {
      return new MeshtapError(
        C.CAPTURE_NO_PERMISSION,
        `tcpdump may not capture here: ${text}. Run meshtap as root, or grant tcpdump the capabilities: setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)`,
      );
    }
    if (/No such device|doesn't exist|no such interface/i.test(text)) {
      return new MeshtapError(C.CAPTURE_NO_SUCH_INTERFACE, `tcpdump: ${text}`);
    }
    return new MeshtapError(C.CAPTURE_START_FAILED, `tcpdump exited before capturing: ${text}`);
  }
}
