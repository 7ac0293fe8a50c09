import type { Endpoint } from '../dissect/entry.js';
import type { HttpComparison, ResponseDifference } from './compare-http1.js';
import type { ReplayReport } from './replay.js';
import type { RunResult } from './run.js';
import type { ReplaySummary } from './summary.js';

/** Up to this many runs, the table lists each one unless asked otherwise. */
export const RUN_ROWS_BY_DEFAULT = 20;

/** The report as text: the stream, one row per run, the summary, and the comparison. */
export function formatReplayTable(
  report: ReplayReport,
  listRuns = report.runs.length <= RUN_ROWS_BY_DEFAULT,
): string {
  const s = report.stream;
  const lines = [
    `stream ${s.streamId} ${s.transport} ${endpoint(s.client)} -> ${endpoint(s.server)}: ${s.messages} messages, ` +
      `${s.clientBytes} client bytes, ${s.responseBytes + s.greetingBytes} server bytes in the capture` +
      (s.gaps > 0 ? `, ${s.gaps} gaps` : ''),
    `target ${report.target.host}:${report.target.port} (${report.target.address})`,
  ];
  if (s.captureError !== null) lines.push(`warning: capture damaged: ${s.captureError}`);
  if (listRuns) lines.push(...runTable(report.runs, s.messages));
  lines.push(...summaryLines(report.summary));
  if (report.comparison !== null) lines.push(...comparisonLines(report.comparison));
  return lines.join('\n') + '\n';
}

function endpoint(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function ms(v: number | null): string {
  return v === null ? '-' : v.toFixed(1);
}

function runTable(runs: readonly RunResult[], messages: number): string[] {
  const rows = [
    ['run', 'status', 'messages', 'sent', 'received', 'connect_ms', 'latency_ms', 'diff', 'error'],
  ];
  for (const r of runs) {
    rows.push([
      String(r.run),
      r.status,
      `${r.messagesSent}/${messages}`,
      String(r.bytesSent),
      String(r.bytesReceived),
      ms(r.connectMs),
      ms(r.latencyMs),
      r.differences === undefined ? '-' : String(r.differences),
      r.error === null ? '' : `${r.error.code}: ${r.error.message}`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
}

function summaryLines(sum: ReplaySummary): string[] {
  const errors = Object.entries(sum.errors)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const lines = [
    `runs ${sum.runs}: ${sum.ok} ok, ${sum.failed} failed${errors ? ` (${errors})` : ''}; ` +
      `sent ${sum.bytesSent} B, received ${sum.bytesReceived} B in ${(sum.wallMs / 1000).toFixed(2)} s ` +
      `(${sum.runsPerSecond.toFixed(1)} runs/s)`,
  ];
  const l = sum.latencyMs;
  if (l !== null) {
    lines.push(
      `latency ms over ${l.count} ok runs: p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}` +
        `  (min ${ms(l.min)}, mean ${ms(l.mean)})`,
    );
  }
  if (sum.runsWithDifferences !== undefined)
    lines.push(`runs with response differences: ${sum.runsWithDifferences}`);
  return lines;
}

function comparisonLines(c: HttpComparison): string[] {
  const lines = [
    `compare (run 1): ${c.original.length} original responses, ${c.replayed.length} replayed, ` +
      `${c.differences.length} differences`,
  ];
  for (const d of c.differences) lines.push(`  #${d.index} ${describe(d)}`);
  return lines;
}

function describe(d: ResponseDifference): string {
  const was = JSON.stringify(d.original);
  const now = JSON.stringify(d.replayed);
  if (d.header !== undefined) return `${d.kind} ${d.header}: ${was} -> ${now}`;
  return `${d.kind}: ${was} -> ${now}`;
}
