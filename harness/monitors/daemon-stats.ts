// The daemon's own stats, where it publishes them. tsauditd writes JSON atomically (rename) to
// a stats file at 10 Hz: {ts, pid, policy, queue:{records, bytes, hwm, hwmBytes, lwm, paused,
// maxRecords, maxBytes}, received, written, dropped:{...}, bytesWritten, suspended, plugins,
// rssBytes}. We pass it through as written, plus its age, so new fields need no change here.
import { readSmall } from './proc-read.ts';

export interface DaemonQueueStats {
  records: number;
  bytes: number;
  hwm: number;
  hwmBytes: number;
  lwm: number;
  paused: boolean;
  maxRecords: number | null;
  maxBytes: number | null;
}

export interface DaemonStats {
  ts: number;
  pid: number;
  policy: string;
  queue: DaemonQueueStats;
  received: number;
  written: number;
  dropped: Record<string, number>;
  bytesWritten: number;
  suspended: boolean;
  plugins: unknown[];
  rssBytes: number;
  [key: string]: unknown;
}

export type DaemonStatsSample = DaemonStats & { ageMs: number };

export class DaemonStatsMonitor {
  parseErrors = 0;

  constructor(private readonly path: string) {}

  sample(nowMs = Date.now()): DaemonStatsSample | null {
    const text = readSmall(this.path);
    if (text === null || text.length === 0) return null;
    try {
      const s = JSON.parse(text) as DaemonStats;
      return { ...s, ageMs: typeof s.ts === 'number' ? Math.max(0, nowMs - s.ts) : -1 };
    } catch {
      // Atomic rename should make this impossible; count it rather than fail the run.
      this.parseErrors++;
      return null;
    }
  }
}
