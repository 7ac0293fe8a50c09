/** One DNS message (RFC 1035 §4.1): header, question section and the three record sections. */
import type { StreamContext } from '../types.js';
import { MAX_POINTER_HOPS, readName } from './names.js';
import { u16, u32 } from '../util/bytes.js';
import { decodeOpt, decodeRData, TYPE_NAMES, type RData } from './rdata.js';

export interface DnsQuestion {
  name: string;
  type: number;
  typeName: string;
  class: number;
  /** mDNS "QU" bit (RFC 6762 §5.4), the top bit of the class. */
  unicastResponse?: boolean;
}

export interface DnsRecord {
  name: string;
  type: number;
  typeName: string;
  class: number;
  ttl: number;
  /** mDNS cache-flush bit (RFC 6762 §10.2), the top bit of the class. */
  cacheFlush?: boolean;
  data: RData;
}

/** A type, not an interface, so that an entry takes the message itself as its request or response object. */
export type DnsMessage = {
  id: number;
  isResponse: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  authenticData: boolean;
  checkingDisabled: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Set when a section could not be read to its end (the rest of the message is skipped). */
  malformed?: string;
};

const HEADER_LEN = 12;

/** Parses `msg` (exactly one message). Never throws; returns null if even the header is short. */
export function parseDnsMessage(
  msg: Uint8Array,
  mdns: boolean,
  report: Pick<StreamContext, 'anomaly'>,
): DnsMessage | null {
  if (msg.length < HEADER_LEN) {
    report.anomaly('dns.truncated_header');
    return null;
  }
  const flags = u16(msg, 2);
  const m: DnsMessage = {
    id: u16(msg, 0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  const cursor = new Cursor(msg, mdns, (problem) => {
    m.malformed ??= problem;
    report.anomaly(problem);
  });
  cursor.questions(u16(msg, 4), m.questions);
  cursor.records(u16(msg, 6), m.answers);
  cursor.records(u16(msg, 8), m.authorities);
  cursor.records(u16(msg, 10), m.additionals);
  return m;
}

/** Walks the sections; after the first unrecoverable problem it reads nothing more. */
class Cursor {
  private pos = HEADER_LEN;
  /**
   * The last name read whole (no problem), where it starts and the pointers it followed.
   * Records usually name their owner by a bare pointer back to the question's name: read
   * through the pointer it would be the same name, built again label by label.
   */
  private lastStart = -1;
  private lastName = '';
  private lastHops = 0;

  constructor(
    private readonly msg: Uint8Array,
    private readonly mdns: boolean,
    private readonly report: (problem: string) => void,
  ) {}

  questions(count: number, out: DnsQuestion[]): void {
    for (let i = 0; i < count && this.pos >= 0; i++) {
      const name = this.name();
      if (name === null) return;
      if (!this.need(4, 'dns.truncated_question')) return;
      const type = u16(this.msg, this.pos);
      const cls = u16(this.msg, this.pos + 2);
      const q: DnsQuestion = { name, type, typeName: typeName(type), class: cls };
      if (this.mdns) {
        q.class = cls & 0x7fff;
        q.unicastResponse = (cls & 0x8000) !== 0;
      }
      out.push(q);
      this.pos += 4;
    }
  }

  records(count: number, out: DnsRecord[]): void {
    for (let i = 0; i < count && this.pos >= 0; i++) {
      const name = this.name();
      if (name === null) return;
      if (!this.need(10, 'dns.truncated_record')) return;
      const { msg, pos } = this;
      const type = u16(msg, pos);
      const cls = u16(msg, pos + 2);
      const ttl = u32(msg, pos + 4);
      const start = pos + 10;
      const end = start + u16(msg, pos + 8);
      if (end > msg.length) return this.fail('dns.truncated_record');
      const rd = type === 41 ? decodeOpt(cls, ttl, msg, start, end) : decodeRData(type, msg, start, end);
      if (rd.problem) this.report(rd.problem);
      const rec: DnsRecord = { name, type, typeName: typeName(type), class: cls, ttl, data: rd.data };
      if (this.mdns && type !== 41) {
        rec.class = cls & 0x7fff;
        rec.cacheFlush = (cls & 0x8000) !== 0;
      }
      out.push(rec);
      this.pos = end;
    }
  }

  private name(): string | null {
    if (this.pointsToLastName()) {
      this.pos += 2;
      return this.lastName;
    }
    const r = readName(this.msg, this.pos);
    if (r.problem) this.report(r.problem);
    if (r.next < 0) {
      this.pos = -1;
      return null;
    }
    if (r.problem === null) {
      this.lastStart = this.pos;
      this.lastName = r.name;
      this.lastHops = r.hops;
    }
    this.pos = r.next;
    return r.name;
  }

  /** Whether the name at `pos` is just a pointer that readName would follow to the last name read. */
  private pointsToLastName(): boolean {
    const { msg, pos, lastStart } = this;
    return (
      lastStart >= 0 &&
      lastStart < pos &&
      pos + 1 < msg.length &&
      (msg[pos] & 0xc0) === 0xc0 &&
      (((msg[pos] & 0x3f) << 8) | msg[pos + 1]) === lastStart &&
      this.lastHops < MAX_POINTER_HOPS
    );
  }

  private need(n: number, problem: string): boolean {
    if (this.pos + n <= this.msg.length) return true;
    this.fail(problem);
    return false;
  }

  private fail(problem: string): void {
    this.report(problem);
    this.pos = -1;
  }
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}
