// The lines of metrics.jsonl. One sample line per tick, event lines between them; a line is an
// event iff it has an `event` field. `t` is ms since the run started, `ts` epoch ms.
import type { DaemonStatsSample } from '../monitors/daemon-stats.ts';

export interface MetricsSample {
  t: number;
  ts: number;
  /** main daemon pid sampled (null: no daemon process right now) */
  pid: number | null;
  /** VmRSS of the main daemon process, bytes */
  rss: number | null;
  /** VmHWM of the main daemon process, bytes */
  hwm: number | null;
  /** VmRSS summed over the daemon's processes (main + plugins), bytes */
  rssAll: number | null;
  /** percent of one core since the previous tick */
  cpu: number | null;
  /** user+system CPU seconds of the main process so far */
  cpuSec: number | null;
  /** anon / file: memory.stat's split of usage into anonymous memory and page cache (absent in
   *  older runs, null when unreadable) */
  cgroup: { usage: number; peak: number; limit: number | null; oomKills: number; throttledUs: number | null; anon?: number | null; file?: number | null } | null;
  kernel: { backlog: number; lost: number; waitActualMs: number; backlogLimit: number; ageMs: number } | null;
  /** the daemon's audit socket(s) in /proc/net/netlink: unread bytes (kernel memory held for
   *  it) and the drop counter (kauditd sends that timed out on a full buffer); null: none found */
  socket?: { rmem: number; drops: number } | null;
  /** /proc/meminfo MemAvailable, bytes */
  memAvailable: number | null;
  /** the daemon's own stats file as it wrote it, plus ageMs (null: none) */
  daemon: DaemonStatsSample | null;
  load: { eventsPerSec: number; total: number };
}

/** Well-known event names; faults and the runner may add their own. */
export type MetricsEventName =
  | 'sampler-start' | 'sampler-stop' | 'sampler-stall'
  | 'oom-kill' | 'backlog-limit' | 'rate-limit' | 'lost' | 'hold-queue-overflow' | 'retry-queue-overflow' | 'suppressed'
  | 'daemon-pid' | 'bystander-exit' | 'fault-start' | 'fault-end' | 'monitor-error';

export interface MetricsEvent {
  t: number;
  ts: number;
  event: MetricsEventName | (string & {});
  [field: string]: unknown;
}

export type MetricsLine = MetricsSample | MetricsEvent;

export const isEvent = (line: MetricsLine): line is MetricsEvent => 'event' in line;
