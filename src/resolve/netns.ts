import { execFile } from 'node:child_process';
import { MeshtapError } from '../util/errors.js';
import { parseAddressPattern, parseIp, RESOLVE_ERROR_CODES as E } from './address.js';
import { PrefixTable } from './prefix-table.js';
import type { BindingSource, NameBinding, NameResolver, ResolvedName } from './types.js';

/** Runs a program with an argument vector (never a shell) and returns its stdout. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;

const COMMAND_TIMEOUT_MS = 10_000;

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim() || err.message;
        reject(new MeshtapError(E.RESOLVE_NETNS_FAILED, `${file} ${args.join(' ')}: ${detail}`));
      } else resolve(String(stdout));
    });
  });

export interface NetnsResolverOptions {
  /** The namespace field of every name (network namespaces stand in for pods of one namespace). */
  namespace?: string;
  /** `ip` binary. */
  ipCommand?: string;
  run?: CommandRunner;
}

interface AddrInfo {
  local?: string;
  scope?: string;
}

/**
 * Names from the local network namespaces (`ip netns`): every address configured inside a
 * namespace resolves to the namespace's name. Host-scope addresses (loopback) are left
 * out: every namespace has 127.0.0.1. refresh() re-reads the namespaces.
 */
export class NetnsResolver implements NameResolver, BindingSource {
  readonly source = 'netns';
  private table = new PrefixTable<ResolvedName>();
  private readonly namespace: string;
  private readonly ip: string;
  private readonly run: CommandRunner;

  constructor(opts: NetnsResolverOptions = {}) {
    this.namespace = opts.namespace ?? 'netns';
    this.ip = opts.ipCommand ?? 'ip';
    this.run = opts.run ?? runCommand;
  }

  /** Reads the namespaces and their addresses again. Throws RESOLVE_NETNS_FAILED. */
  async refresh(): Promise<void> {
    const table = new PrefixTable<ResolvedName>();
    for (const ns of await this.namespaceNames()) {
      const links = await this.linksOf(ns);
      for (const address of localAddresses(links)) {
        table.set(parseAddressPattern(address), { name: ns, namespace: this.namespace });
      }
    }
    this.table = table;
  }

  resolve(ip: string, port: number | undefined): ResolvedName | undefined {
    const bytes = parseIp(ip);
    return bytes === null ? undefined : this.table.lookup(bytes, port);
  }

  /** The current bindings, after a refresh. */
  async list(): Promise<NameBinding[]> {
    await this.refresh();
    return [...this.table.entries()].map(([address, v]) => ({ address, ...v }));
  }

  /** A namespace deleted between the listing and this call has no addresses, not an error. */
  private async linksOf(ns: string): Promise<unknown[]> {
    let text: string;
    try {
      text = await this.run(this.ip, ['-n', ns, '-j', 'addr', 'show']);
    } catch (err) {
      if (!(await this.namespaceNames()).includes(ns)) return [];
      throw err;
    }
    return parseJson(text, 'addr show');
  }

  private async namespaceNames(): Promise<string[]> {
    // Without any namespace (no /var/run/netns yet) `ip -j netns list` prints nothing at all.
    const list = parseJson(await this.run(this.ip, ['-j', 'netns', 'list']), 'netns list');
    return list
      .map((item) => (item as { name?: unknown }).name)
      .filter((name): name is string => typeof name === 'string' && name !== '');
  }
}

function parseJson(text: string, what: string): unknown[] {
  if (text.trim() === '') return [];
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new MeshtapError(E.RESOLVE_NETNS_FAILED, `ip ${what}: output is not a JSON array`);
}

/** Addresses in `ip -j addr show` output, without host-scope ones. */
function localAddresses(links: unknown[]): string[] {
  const out: string[] = [];
  for (const link of links) {
    const infos = (link as { addr_info?: unknown }).addr_info;
    if (!Array.isArray(infos)) continue;
    for (const info of infos as AddrInfo[]) {
      if (typeof info.local !== 'string' || info.scope === 'host') continue;
      if (parseIp(info.local) !== null) out.push(info.local);
    }
  }
  return out;
}
