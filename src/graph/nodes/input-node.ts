import type { Frame } from '../frame.js';
import type { GraphNode, NodeOutput } from '../node.js';
import type { GraphPacket } from '../packet.js';

const SECONDS_PER_DAY = 86_400;

/**
 * Formats a capture timestamp as an ISO-8601 UTC time with nanoseconds. Any number of
 * seconds is a date: a capture can hold garbage times (a pcapng timestamp of 2^64 - 1
 * microseconds is the year 586524), which Date cannot hold. Years past 9999 and before 0
 * are written with a sign and at least six digits, as toISOString writes them.
 */
export function formatCaptureTime(tsSec: number, tsNsec: number): string {
  const days = Math.floor(tsSec / SECONDS_PER_DAY);
  const second = tsSec - days * SECONDS_PER_DAY;
  const { year, month, day } = civilDate(days);
  const yearText =
    year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  const time = `${pad(Math.floor(second / 3600), 2)}:${pad(Math.floor(second / 60) % 60, 2)}:${pad(second % 60, 2)}`;
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}T${time}.${pad(tsNsec, 9)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year eras of
 * 146,097 days whose years start on 1 March, so the leap day ends a year.
 */
function civilDate(days: number): { year: number; month: number; day: number } {
  const sinceMarch0 = days + 719_468; // days from 0000-03-01 to 1970-01-01
  const era = Math.floor(sinceMarch0 / 146_097);
  const dayOfEra = sinceMarch0 - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/**
 * Where captured packets enter the graph (a file, stdin, a live capture). It only counts
 * and, for traced packets, records what was captured; the next node does the work.
 */
export class CaptureInputNode implements GraphNode {
  readonly nextNodes: string[];

  constructor(
    readonly name: string,
    next: string,
  ) {
    this.nextNodes = [next];
  }

  process(frame: Frame, out: NodeOutput): void {
    out.forward(0, frame);
  }

  traceLines(pkt: GraphPacket): string[] {
    return [
      `frame ${pkt.seq + 1}: ${formatCaptureTime(pkt.tsSec, pkt.tsNsec)}, ${pkt.data.length} bytes captured, ${pkt.origLen} on wire, interface ${pkt.interfaceId}`,
    ];
  }
}

/** The drop reason of a packet the filter rejects. */
export const FILTER_MISMATCH = 'filter did not match';

/** Passes packets a predicate accepts and drops the rest (the pcap-filter of `read -f`). */
export class FilterNode implements GraphNode {
  readonly nextNodes: string[];

  constructor(
    readonly name: string,
    next: string,
    private readonly accepts: (pkt: GraphPacket) => boolean,
    private readonly expression: string,
  ) {
    this.nextNodes = [next];
  }

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (this.accepts(pkt)) out.enqueue(0, pkt);
      else out.drop(pkt, FILTER_MISMATCH);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    return [`${this.expression}: ${pkt.dropReason === null ? 'match' : 'no match'}`];
  }
}
