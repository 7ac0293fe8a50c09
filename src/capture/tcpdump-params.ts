import { UsageError } from '../util/errors.js';
import { compileFilter } from '../filter/index.js';

/**
 * What a user may ask of tcpdump in a capture task: only what changes *which* packets are
 * captured. Flags that write, read or rotate files, run programs, switch users or read
 * a filter from a file are refused, and so is anything unknown; meshtap builds the rest of
 * the argument vector itself.
 */
export interface CaptureParams {
  /** -i: an interface name, or `any`. */
  interface?: string;
  /** -s: bytes kept of each packet (0 means tcpdump's default, 262144). */
  snaplen?: number;
  /** -B: the kernel buffer size in KiB. */
  bufferKiB?: number;
  /** -Q: which direction of traffic to capture. */
  direction?: 'in' | 'out' | 'inout';
  /** -p: do not put the interface into promiscuous mode. */
  noPromiscuous: boolean;
  /** -c: stop after this many packets. */
  count?: number;
  /** -y: the data link type to capture with (e.g. EN10MB, LINUX_SLL2). */
  linkType?: string;
  /** --time-stamp-precision: microsecond or nanosecond timestamps in the file. */
  precision?: 'micro' | 'nano';
  /** The pcap-filter expression (trailing words), checked by meshtap's own compiler. */
  filter?: string;
  /**
   * --immediate-mode: each packet is handed over as it arrives. Without it the kernel hands
   * over a block of packets when it fills or after up to a second, and packets in a block
   * not yet handed over when tcpdump stops are never written. Set by meshtap's own live
   * paths (mirroring), not parsed from a user's flags.
   */
  immediate?: boolean;
}

export const TCPDUMP_PARAM_CODES = {
  CAPTURE_FORBIDDEN_FLAG: 'CAPTURE_FORBIDDEN_FLAG',
  CAPTURE_UNKNOWN_FLAG: 'CAPTURE_UNKNOWN_FLAG',
  CAPTURE_BAD_FLAG_VALUE: 'CAPTURE_BAD_FLAG_VALUE',
} as const;
const C = TCPDUMP_PARAM_CODES;

/** Refused flags and why: each would let a task touch files, run programs or change identity. */
const FORBIDDEN: ReadonlyMap<string, string> = new Map([
  ['-w', 'meshtap chooses where the capture is written'],
  ['-r', 'a capture task reads live traffic, not files'],
  ['-z', 'runs a program on each saved file'],
  ['-Z', 'changes the user tcpdump runs as'],
  ['-F', 'reads the filter from a file; give the expression instead'],
  ['-C', 'rotates files by size; use the task size limit'],
  ['-G', 'rotates files by time; use the task duration'],
  ['-W', 'limits rotated files; meshtap writes one file'],
  ['-V', 'reads a list of capture files'],
  ['-D', 'lists interfaces and exits'],
  ['-L', 'lists link types and exits'],
  ['-d', 'prints the compiled filter and exits'],
  ['-I', 'monitor mode reconfigures the wireless interface'],
  ['-K', 'skips checksum verification, printing only'],
  ['-M', 'TCP-MD5 secrets do not belong in task parameters'],
  ['-E', 'ESP secrets do not belong in task parameters'],
  ['--relinquish-privileges', 'changes the user tcpdump runs as'],
  ['--version', 'prints the version and exits'],
  ['--help', 'prints usage and exits'],
  ['--list-interfaces', 'lists interfaces and exits'],
  ['--list-time-stamp-types', 'lists time stamp types and exits'],
]);

/** Flags that only change how tcpdump *prints*; a task writes a file, so they are accepted and have no effect. */
const PRINT_ONLY = new Set([
  '-n',
  '-nn',
  '-N',
  '-e',
  '-q',
  '-t',
  '-tt',
  '-ttt',
  '-tttt',
  '-ttttt',
  '-v',
  '-vv',
  '-vvv',
  '-x',
  '-xx',
  '-X',
  '-XX',
  '-A',
  '-l',
  '-S',
  '-U',
  '--immediate-mode',
]);

const LONG_WITH_VALUE: ReadonlyMap<string, string> = new Map([
  ['--interface', '-i'],
  ['--snapshot-length', '-s'],
  ['--buffer-size', '-B'],
  ['--direction', '-Q'],
  ['--linktype', '-y'],
  ['--time-stamp-precision', '--time-stamp-precision'],
]);

const MAX_SNAPLEN = 262144;
const MAX_BUFFER_KIB = 1024 * 1024;
const MAX_COUNT = 1_000_000_000;
const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const LINK_TYPE_NAME = /^[A-Z0-9_]{1,32}$/;
const MAX_FILTER_LENGTH = 4096;

/**
 * Parses tcpdump parameters given as an argument vector (`['-i', 'eth0', '-s', '96', 'port', '80']`)
 * or as one string split on whitespace. Throws UsageError with a stable code for anything refused.
 */
export function parseTcpdumpParams(input: string | readonly string[]): CaptureParams {
  const args =
    typeof input === 'string'
      ? input
          .trim()
          .split(/\s+/)
          .filter((a) => a !== '')
      : [...input];
  const params: CaptureParams = { noPromiscuous: false };
  const filterWords: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (filterWords.length > 0 || !arg.startsWith('-') || arg === '-') {
      filterWords.push(arg);
      continue;
    }
    const [flag, inline] = splitInline(arg);
    const refused = FORBIDDEN.get(flag) ?? FORBIDDEN.get(arg.slice(0, 2));
    if (refused !== undefined) {
      throw new UsageError(
        C.CAPTURE_FORBIDDEN_FLAG,
        `tcpdump flag ${flag} is not allowed in a capture task: ${refused}`,
      );
    }
    if (PRINT_ONLY.has(arg)) continue;
    if (arg === '-p' || arg === '--no-promiscuous-mode') {
      params.noPromiscuous = true;
      continue;
    }
    const name = LONG_WITH_VALUE.get(flag) ?? flag;
    if (!['-i', '-s', '-B', '-Q', '-c', '-y', '--time-stamp-precision'].includes(name)) {
      throw new UsageError(
        C.CAPTURE_UNKNOWN_FLAG,
        `tcpdump flag ${arg} is not supported in a capture task (allowed: -i -s -B -Q -p -c -y --time-stamp-precision, printing flags, and a filter expression)`,
      );
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw badValue(name, 'needs a value');
    applyFlag(params, name, value);
  }
  if (filterWords.length > 0) params.filter = checkedFilter(filterWords.join(' '), params.interface);
  return params;
}

/** `-s96`, `-ieth0` and `--snapshot-length=96` carry their value in the same word. */
function splitInline(arg: string): [string, string | undefined] {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
  }
  if (arg.length > 2 && 'isBQcy'.includes(arg[1])) return [arg.slice(0, 2), arg.slice(2)];
  return [arg, undefined];
}

function applyFlag(params: CaptureParams, name: string, value: string): void {
  switch (name) {
    case '-i':
      if (!INTERFACE_NAME.test(value))
        throw badValue(name, `${JSON.stringify(value)} is not an interface name`);
      params.interface = value;
      return;
    case '-s':
      params.snaplen = boundedInt(name, value, 0, MAX_SNAPLEN);
      return;
    case '-B':
      params.bufferKiB = boundedInt(name, value, 1, MAX_BUFFER_KIB);
      return;
    case '-c':
      params.count = boundedInt(name, value, 1, MAX_COUNT);
      return;
    case '-Q':
      if (value !== 'in' && value !== 'out' && value !== 'inout')
        throw badValue(name, 'must be in, out or inout');
      params.direction = value;
      return;
    case '-y':
      if (!LINK_TYPE_NAME.test(value))
        throw badValue(name, `${JSON.stringify(value)} is not a link type name`);
      params.linkType = value;
      return;
    default:
      if (value !== 'micro' && value !== 'nano') throw badValue(name, 'must be micro or nano');
      params.precision = value;
  }
}

function boundedInt(flag: string, value: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(value)) throw badValue(flag, `${JSON.stringify(value)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw badValue(flag, `must be between ${min} and ${max}`);
  return n;
}

/** libpcap captures `-i any` as Linux cooked v2 and the interfaces meshtap targets (veth, lo, eth) as Ethernet. */
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL2 = 276;

function checkedFilter(expr: string, iface: string | undefined): string {
  if (expr.length > MAX_FILTER_LENGTH)
    throw badValue('filter', `longer than ${MAX_FILTER_LENGTH} characters`);
  // Syntax errors and expressions that cannot apply to the link type surface here, with
  // their position and meshtap's filter error codes, before tcpdump ever runs.
  compileFilter(expr, iface === undefined || iface === 'any' ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET);
  return expr;
}

function badValue(flag: string, why: string): UsageError {
  return new UsageError(C.CAPTURE_BAD_FLAG_VALUE, `tcpdump ${flag}: ${why}`);
}

/** The argument vector (never a shell line) that runs tcpdump for these parameters, writing pcap to `out`. */
export function tcpdumpArgv(params: CaptureParams, out: string): string[] {
  const argv = ['-i', params.interface ?? 'any', '-w', out, '-U'];
  if (params.snaplen !== undefined) argv.push('-s', String(params.snaplen));
  if (params.bufferKiB !== undefined) argv.push('-B', String(params.bufferKiB));
  if (params.direction !== undefined) argv.push('-Q', params.direction);
  if (params.noPromiscuous) argv.push('-p');
  if (params.count !== undefined) argv.push('-c', String(params.count));
  if (params.linkType !== undefined) argv.push('-y', params.linkType);
  if (params.precision !== undefined) argv.push('--time-stamp-precision', params.precision);
  if (params.immediate === true) argv.push('--immediate-mode');
  // `--` ends the options: a filter word can never be read as a flag.
  if (params.filter !== undefined) argv.push('--', params.filter);
  return argv;
}
