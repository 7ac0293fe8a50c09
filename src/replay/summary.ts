import type { RunResult } from './run.js';

/** Milliseconds, over the runs that succeeded. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ReplaySummary {
  runs: number;
  ok: number;
  failed: number;
  /** Failed runs per error code. */
  errors: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  /** Wall time of all the runs together. */
  wallMs: number;
  runsPerSecond: number;
  /** null when no run succeeded. */
  latencyMs: LatencySummary | null;
  /** Runs whose HTTP responses differ from the original (with --compare). */
  runsWithDifferences?: number;
}

/** Nearest-rank percentile (the smallest value with at least p% of the values at or below it). */
export function percentile(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAsc.length));
  return sortedAsc[Math.min(rank, sortedAsc.length) - 1];
}

export function latencySummary(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    min: sorted[0],
    mean,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

export function summarize(runs: readonly RunResult[], wallMs: number): ReplaySummary {
  const errors: Record<string, number> = {};
  let bytesSent = 0;
  let bytesReceived = 0;
  const latencies: number[] = [];
  for (const r of runs) {
    bytesSent += r.bytesSent;
    bytesReceived += r.bytesReceived;
    if (r.error === null) latencies.push(r.latencyMs);
    else errors[r.error.code] = (errors[r.error.code] ?? 0) + 1;
  }
  const summary: ReplaySummary = {
    runs: runs.length,
    ok: latencies.length,
    failed: runs.length - latencies.length,
    errors,
    bytesSent,
    bytesReceived,
    wallMs,
    runsPerSecond: wallMs > 0 ? (runs.length * 1000) / wallMs : 0,
    latencyMs: latencySummary(latencies),
  };
  if (runs.some((r) => r.differences !== undefined))
    summary.runsWithDifferences = runs.filter((r) => (r.differences ?? 0) > 0).length;
  return summary;
}

/** Runs job(0..count-1) with at most `concurrency` of them in flight; results in job order. */
export async function runPool<T>(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
