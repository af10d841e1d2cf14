// The stats file the harness polls (at least 10 times a second): one JSON object, replaced
// atomically (write tmp, rename) so a reader never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';
import type { LogSinkStats, PluginStats } from './types.ts';
import { B, I, QueueState } from './queue.ts';
import type { QueueFullAction, QueueOverflow } from './config.ts';

export interface DaemonStats {
  /** ms since the epoch */
  ts: number;
  pid: number;
  policy: QueueOverflow;
  /** starting | running | stopping | stopped */
  state: string;
  registered: boolean;
  queue: {
    records: number;
    bytes: number;
    hwm: number;
    hwmBytes: number;
    lwm: number;
    lwmBytes: number;
    /** block: records / bytes the liveness floor may read past the HWM (the reserve) */
    reserve: number;
    reserveBytes: number;
    fullAction: QueueFullAction;
    floorMs: number;
    /** the queue is at the HWM and the input thread paces its reads (block), or has stopped
     *  reading until the LWM (pause) */
    paused: boolean;
    pausedMs: number;
    pauses: number;
    maxRecords: number;
    maxBytes: number;
    /** queue_full_action suspend holds (until SIGUSR2) */
    suspended: boolean;
    /** reads at the HWM: paced by credit, by the liveness floor, with the reserve full */
    reads: { credit: number; floor: number; full: number };
    /** batches posted by the input thread to the main thread */
    posts: number;
    /** of those, posted at once: the first record after a quiet spell (not held for the window) */
    promptPosts: number;
    /** longest gap between two passes of the input loop while pacing (ms); under 100 */
    maxPacedGapMs: number;
  };
  /** the event socket, from SO_MEMINFO: kernel memory, not in rssBytes */
  socket: {
    /** the receive buffer's size as the kernel keeps it (twice what was asked) */
    rcvbufBytes: number;
    /** bytes waiting in it now / at most */
    unreadBytes: number;
    maxUnreadBytes: number;
    /** the socket's drop counter: kernel sends that timed out on a full buffer (each one moved
     *  records to kauditd's retry queue). Should stay 0 under block. */
    drops: number;
  };
  /** the input thread's kernel task id (/proc/PID/task/TID), -1 before it runs */
  inputTid: number;
  /** whole events (distinct serials) */
  events: {
    /** dropped by the queue policy (drop past the HWM; block with the reserve full) */
    droppedQueueFull: number;
    /** not written by the writer (suspended, disk full or error) */
    notWritten: number;
  };
  /** records taken from the kernel (including dropped ones) */
  received: number;
  receivedBytes: number;
  /** of `received`, EOE records (auditd never writes them to the log) */
  receivedEoe: number;
  /** of `received`, SYSCALL records: one per audited syscall event */
  receivedSyscall: number;
  /** DAEMON_START/END/CONFIG/ERR... records tsauditd wrote about itself (included in `written`) */
  daemonRecords: number;
  /** records written to the log (EOE excluded, as auditd) */
  written: number;
  /** records the output side finished with (written, skipped EOE, or not written while suspended) */
  processed: number;
  dropped: {
    /** records the queue policy dropped (drop past the HWM; block with the reserve full) */
    queue_full: number;
    /** of those, SYSCALL records (one per audited syscall event) */
    queue_full_syscall: number;
    /** writer suspended (disk full / error / admin action): not written, counted */
    suspended: number;
    /** sum over plugins */
    plugin: number;
    malformed: number;
  };
  malformed: { short: number; truncated: number; foreign: number; unknown_type: number };
  recvErrors: number;
  bytesWritten: number;
  suspended: boolean;
  suspendReason: string | null;
  plugins: PluginStats[];
  rssBytes: number;
  uptimeMs: number;
}

export interface StatsSources {
  q: QueueState;
  pid: number;
  startedAt: number;
  state: () => string;
  registered: () => boolean;
  processed: () => number;
  daemonRecords: () => number;
  sink: () => LogSinkStats;
  notWrittenEvents?: () => number;
  inputTid?: () => number;
  plugins: () => PluginStats[];
}

export function collectStats(s: StatsSources): DaemonStats {
  const { q } = s;
  const l = q.limits();
  const sink = s.sink();
  const plugins = s.plugins();
  const malformed = {
    short: q.get(B.MALFORMED_SHORT),
    truncated: q.get(B.MALFORMED_TRUNCATED),
    foreign: q.get(B.MALFORMED_FOREIGN),
    unknown_type: q.get(B.MALFORMED_UNKNOWN_TYPE),
  };
  const now = Date.now();
  return {
    ts: now,
    pid: s.pid,
    policy: l.policy,
    state: s.state(),
    registered: s.registered(),
    queue: {
      records: q.records(),
      bytes: q.bytes(),
      hwm: l.hwm,
      hwmBytes: l.hwmBytes,
      lwm: l.lwm,
      lwmBytes: l.lwmBytes,
      paused: q.paused(),
      pausedMs: q.get(B.PAUSED_MS),
      pauses: q.get(B.PAUSES),
      maxRecords: q.get(B.MAX_RECORDS),
      maxBytes: q.get(B.MAX_BYTES),
      reserve: l.reserve,
      reserveBytes: l.reserveBytes,
      fullAction: l.fullAction,
      floorMs: l.floorMs,
      suspended: Atomics.load(q.i32, I.SUSPENDED) === 1,
      reads: { credit: q.get(B.READS_CREDIT), floor: q.get(B.READS_FLOOR), full: q.get(B.READS_FULL) },
      posts: q.get(B.POSTS),
      promptPosts: q.get(B.PROMPT_POSTS),
      maxPacedGapMs: q.get(B.MAX_PACED_GAP_MS),
    },
    socket: {
      rcvbufBytes: q.get(B.SOCK_RCVBUF),
      unreadBytes: q.get(B.SOCK_UNREAD),
      maxUnreadBytes: q.get(B.SOCK_UNREAD_MAX),
      drops: q.get(B.SOCK_DROPS),
    },
    inputTid: s.inputTid?.() ?? -1,
    events: {
      droppedQueueFull: q.get(B.DROPPED_EVENTS_QUEUE_FULL),
      notWritten: s.notWrittenEvents?.() ?? 0,
    },
    received: q.get(B.RECEIVED),
    receivedBytes: q.get(B.RECEIVED_BYTES),
    receivedEoe: q.get(B.RECEIVED_EOE),
    receivedSyscall: q.get(B.RECEIVED_SYSCALL),
    daemonRecords: s.daemonRecords(),
    written: sink.recordsWritten,
    processed: s.processed(),
    dropped: {
      queue_full: q.get(B.DROPPED_QUEUE_FULL),
      queue_full_syscall: q.get(B.DROPPED_QUEUE_FULL_SYSCALL),
      suspended: sink.notWritten,
      plugin: plugins.reduce((a, p) => a + p.dropped, 0),
      malformed: malformed.short + malformed.truncated + malformed.foreign + malformed.unknown_type,
    },
    malformed,
    recvErrors: q.get(B.RECV_ERRORS),
    bytesWritten: sink.bytesWritten,
    suspended: sink.suspended,
    suspendReason: sink.suspendReason,
    plugins,
    rssBytes: process.memoryUsage.rss(),
    uptimeMs: now - s.startedAt,
  };
}

/** Replace `file` with the JSON of `stats` atomically. */
export function writeStatsFile(file: string, stats: DaemonStats): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(stats));
  renameSync(tmp, file);
}
