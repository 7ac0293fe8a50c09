import { tryTool } from '../helpers/tools.js';

/** One frame as tshark 4.0 reports it. */
export interface TsharkFrame {
  /** Nanoseconds since the epoch, or null when tshark printed no time (pcapng Simple Packet Block). */
  timeNs: bigint | null;
  capLen: number;
  len: number;
  section: number | null;
  interfaceId: number | null;
  encapType: number;
  comments: string[];
  md5: string;
}

export interface TsharkResult {
  frames: TsharkFrame[];
  /** tshark's complaint about the file ("appears to be damaged", "doesn't support"), or ''. */
  error: string;
}

const FIELDS = [
  'frame.time_epoch',
  'frame.cap_len',
  'frame.len',
  'frame.section_number',
  'frame.interface_id',
  'frame.encap_type',
  'frame.comment',
  'frame.md5_hash',
];

/**
 * Runs tshark on a file. Custom blocks that Wireshark shows as frames of their own
 * (no interface id in a pcapng file) are dropped: they are not packets.
 */
export function tsharkFrames(path: string, isPcapng: boolean): TsharkResult {
  const args = [
    '-r',
    path,
    '-o',
    'frame.generate_md5_hash:TRUE',
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=\u0001',
  ];
  for (const f of FIELDS) args.push('-e', f);
  const run = tryTool('tshark', args);
  return parseTsharkOutput(run.stdout, run.stderr, isPcapng);
}

export function parseTsharkOutput(stdout: string, stderr: string, isPcapng: boolean): TsharkResult {
  const frames = stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parseLine)
    .filter((f) => !isPcapng || f.interfaceId !== null);
  const error = stderr
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('Running as user'))
    .join('\n');
  return { frames, error };
}

function parseLine(line: string): TsharkFrame {
  const [time, capLen, len, section, iface, encap, comment, md5] = line.split('\t');
  return {
    timeNs: time === '' ? null : epochToNs(time),
    capLen: Number(capLen),
    len: Number(len),
    section: section === '' ? null : Number(section),
    interfaceId: iface === '' ? null : Number(iface),
    encapType: Number(encap),
    comments: comment === '' || comment === undefined ? [] : comment.split('\u0001'),
    md5: md5 ?? '',
  };
}

/**
 * tshark prints seconds '.' nanoseconds with %09d, so an out-of-range fraction (as in
 * tcpdump's timestamp_invalid_nano.pcap) shows as more than nine digits: the digits are
 * the raw nanosecond count. Wireshark keeps that count in a signed 32-bit field, so
 * 0x80000000 also gets a minus sign in front of the whole value; tcpdump --nano -tt
 * prints the same record as 1418145370.2147483648, so the sign is dropped there.
 */
export function epochToNs(text: string): bigint {
  const negative = text.startsWith('-');
  const [secText, fracText = ''] = (negative ? text.slice(1) : text).split('.');
  const frac = fracText.length > 9 ? BigInt(fracText) : BigInt(fracText.padEnd(9, '0'));
  const ns = BigInt(secText) * 1_000_000_000n + frac;
  return negative && fracText.length <= 9 ? -ns : ns;
}
