// Recovery: what only faults make meaningful. For each fault window, from the metrics samples:
// how long after the fault ended the kernel backlog and the daemon's queue were back under a
// level; the kernel's loss during the window against the loss after it (as rates, so windows of
// different lengths compare); the daemon's RSS peak during the window. Each becomes an
// assertion beside the scenario's own.
import type { MetricsSample } from '../metrics/metrics-types.ts';
import type { Assertion } from './assertions.ts';

export interface RecoveryWindow {
  kind: string;
  index: number;
  occurrence: number;
  startMs: number;
  endMs: number | null;
  error?: string;
}

export interface RecoveryOptions {
  backlogLimit: number;
  /** the backlog counts as recovered at or under this (default 10% of backlog_limit, at least 64) */
  backlogLevel?: number;
  /** the daemon's queue counts as recovered at or under this many records (default 1000) */
  queueLevel?: number;
  /** recovery must take at most this long (default 10 s) */
  recoveryMaxMs?: number;
  /** the run's RSS bound (peak_rss_max resolved), if the scenario set one */
  rssLimitBytes?: number | null;
}

export interface FaultRecovery {
  kind: string;
  index: number;
  occurrence: number;
  startMs: number;
  endMs: number | null;
  /** ms from the fault's end until backlog and queue were under their levels; null: never */
  recoveryMs: number | null;
  /** the backlog was over its level for the whole second before the fault: nothing to recover to */
  saturatedBefore: boolean;
  lostDuring: number;
  lostAfter: number;
  lostDuringPerSec: number;
  lostAfterPerSec: number;
  rssPeakDuringBytes: number | null;
  backlogPeakDuring: number | null;
  queuePeakDuring: number | null;
}

export const RECOVERY_MAX_MS = 10_000;
export const QUEUE_LEVEL = 1000;

const queueOf = (s: MetricsSample): number | null =>
  (s.daemon as { queue?: { records?: number } } | null)?.queue?.records ?? null;

function lostBetween(samples: MetricsSample[], from: number, to: number): number {
  const inRange = samples.filter((s) => s.kernel && s.t >= from && s.t <= to);
  if (inRange.length < 2) return 0;
  return Math.max(0, inRange[inRange.length - 1]!.kernel!.lost - inRange[0]!.kernel!.lost);
}

export function analyseRecovery(windows: RecoveryWindow[], samples: MetricsSample[], o: RecoveryOptions): FaultRecovery[] {
  const backlogLevel = o.backlogLevel ?? Math.max(64, Math.floor(o.backlogLimit / 10));
  const queueLevel = o.queueLevel ?? QUEUE_LEVEL;
  const lastT = samples.length ? samples[samples.length - 1]!.t : 0;
  const starts = windows.map((w) => w.startMs).sort((a, b) => a - b);
  return windows.filter((w) => !w.error).map((w) => {
    const end = w.endMs ?? lastT;
    const during = samples.filter((s) => s.t >= w.startMs && s.t <= end);
    const before = samples.filter((s) => s.t >= w.startMs - 1000 && s.t < w.startMs && s.kernel);
    const saturatedBefore = before.length > 0 && before.every((s) => s.kernel!.backlog > backlogLevel);
    let recoveryMs: number | null = null;
    if (w.endMs !== null) {
      const ok = samples.find((s) => s.t >= w.endMs! && s.kernel && s.kernel.backlog <= backlogLevel && (queueOf(s) ?? 0) <= queueLevel);
      recoveryMs = ok ? ok.t - w.endMs : null;
    }
    // "after": from recovery (or the end) to the next fault's start or the run's last sample
    const afterFrom = w.endMs === null ? lastT : w.endMs + (recoveryMs ?? 0);
    const afterTo = starts.find((t) => t > afterFrom) ?? lastT;
    const lostDuring = lostBetween(samples, w.startMs, end);
    const lostAfter = lostBetween(samples, afterFrom, afterTo);
    const peak = (xs: Array<number | null>) => { const v = xs.filter((x): x is number => x !== null); return v.length ? Math.max(...v) : null; };
    return {
      kind: w.kind, index: w.index, occurrence: w.occurrence, startMs: w.startMs, endMs: w.endMs,
      recoveryMs, saturatedBefore, lostDuring, lostAfter,
      lostDuringPerSec: lostDuring / Math.max(0.1, (end - w.startMs) / 1000),
      lostAfterPerSec: lostAfter / Math.max(0.1, (afterTo - afterFrom) / 1000),
      rssPeakDuringBytes: peak(during.map((s) => s.rss)),
      backlogPeakDuring: peak(during.map((s) => s.kernel?.backlog ?? null)),
      queuePeakDuring: peak(during.map(queueOf)),
    };
  });
}

/** The assertions: recovered in time, loss did not outlast the fault, RSS within bound during it. */
export function recoveryAssertions(rec: FaultRecovery[], o: RecoveryOptions): Assertion[] {
  const maxMs = o.recoveryMaxMs ?? RECOVERY_MAX_MS;
  const out: Assertion[] = [];
  for (const r of rec) {
    const name = `${r.kind}#${r.index}${r.occurrence ? `.${r.occurrence}` : ''}`;
    if (r.endMs !== null) {
      out.push(r.saturatedBefore
        ? { name: `recovery after ${name}`, ok: true, actual: 'n/a', limit: maxMs, detail: 'the backlog was over its level before the fault: nothing to recover to' }
        : { name: `recovery after ${name}`, ok: r.recoveryMs !== null && r.recoveryMs <= maxMs, actual: r.recoveryMs ?? 'never', limit: maxMs,
          detail: 'ms from the fault\'s end until the kernel backlog and the daemon\'s queue were back under their levels' });
      out.push({ name: `loss did not outlast ${name}`, ok: r.lostAfterPerSec <= r.lostDuringPerSec + 1, actual: Math.round(r.lostAfterPerSec * 10) / 10,
        limit: Math.round(r.lostDuringPerSec * 10) / 10 + 1,
        detail: `kernel lost ${r.lostDuring} during the fault, ${r.lostAfter} after it recovered (records/s compared)` });
    }
    if (o.rssLimitBytes != null && r.rssPeakDuringBytes !== null) {
      out.push({ name: `RSS during ${name}`, ok: r.rssPeakDuringBytes <= o.rssLimitBytes, actual: r.rssPeakDuringBytes, limit: o.rssLimitBytes });
    }
  }
  return out;
}
