import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/**
 * A lab of network namespaces joined by one bridge: the stand-in for pods on a node. Every
 * host gets `10.213.<lab>.<n>/24` on its `eth0`; traffic between hosts never leaves the lab.
 */
export interface Lab {
  hosts: LabHost[];
  /** This (the root) namespace's address in the lab, when it was asked to join: the node itself, as seen by its pods. */
  rootIp: string | null;
  /** Runs a command inside a host's namespace (argument vector, no shell) and returns stdout. */
  exec(host: LabHost, argv: string[]): string;
  /** Starts a long-running command inside a host's namespace. */
  spawn(host: LabHost, argv: string[]): ChildProcess;
  destroy(): void;
}

export interface LabHost {
  netns: string;
  ip: string;
  iface: string;
}

/** Why lab tests cannot run here, or null when they can (root and iproute2). */
export function labUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'iproute2 (ip netns) is not usable here';
  }
}

let labCounter = 0;

export interface LabOptions {
  /** Also link the root namespace to the bridge (a veth with address .254), so a process of the test can reach the hosts. */
  joinRoot?: boolean;
}

export function createLab(hostCount: number, opts: LabOptions = {}): Lab {
  const tag = `mt${process.pid % 10000}x${labCounter++}`;
  const subnet = 1 + ((process.pid + labCounter) % 250);
  const bridgeNs = `${tag}-br`;
  const ip = (args: string[]): void => {
    execFileSync('ip', args, { stdio: 'pipe' });
  };
  const created: string[] = [];
  const hosts: LabHost[] = [];
  let rootIp: string | null = null;
  try {
    ip(['netns', 'add', bridgeNs]);
    created.push(bridgeNs);
    ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < hostCount; i++) {
      const netns = `${tag}-h${i}`;
      ip(['netns', 'add', netns]);
      created.push(netns);
      const port = `p${i}`;
      ip(['-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      const addr = `10.213.${subnet}.${i + 1}`;
      ip(['-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      hosts.push({ netns, ip: addr, iface: 'eth0' });
    }
    if (opts.joinRoot) {
      // The veth's root end goes away with the bridge namespace (deleting one end deletes its peer).
      rootIp = `10.213.${subnet}.254`;
      const rootEnd = `${tag}r`;
      ip(['link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', 'proot', 'netns', bridgeNs]);
      ip(['-n', bridgeNs, 'link', 'set', 'proot', 'master', 'br0', 'up']);
      ip(['addr', 'add', `${rootIp}/24`, 'dev', rootEnd]);
      ip(['link', 'set', rootEnd, 'up']);
    }
  } catch (err) {
    for (const ns of created) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    throw err;
  }
  return {
    hosts,
    rootIp,
    exec: (host, argv) => execFileSync('ip', ['netns', 'exec', host.netns, ...argv], { encoding: 'utf8' }),
    spawn: (host, argv) =>
      spawn('ip', ['netns', 'exec', host.netns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }),
    destroy: () => {
      for (const ns of created.reverse()) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          // Already gone: a test may have removed it to check the error path.
        }
      }
    },
  };
}
