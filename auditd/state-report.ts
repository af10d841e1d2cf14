// SIGCONT state report, in the spirit of auditd's /run/audit/auditd.state: `name = value` lines a
// person can read and a script can grep.
import { statfsSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonConfig } from './config.ts';
import type { DaemonStats } from './stats.ts';
import type { LogSinkStats } from './types.ts';
import { VERSION } from './main.ts';

export function renderStateReport(cfg: DaemonConfig, s: DaemonStats, sink: LogSinkStats & { logSize?: number }): string {
  let free = 'unknown';
  try {
    const st = statfsSync(dirname(cfg.logFile));
    free = `${Math.floor((st.bavail * st.bsize) / 1048576)} MiB`;
  } catch { /* report unknown */ }
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  const lines: [string, string | number][] = [
    ['audit version', `tsauditd ${VERSION}`],
    ['current time', new Date(s.ts).toISOString()],
    ['process id', s.pid],
    ['state', s.state],
    ['registered with the kernel', yn(s.registered)],
    ['writing to logs', yn(cfg.writeLogs)],
    ['log file', cfg.logFile],
    ['current log size', sink.logSize !== undefined ? `${Math.floor(sink.logSize / 1024)} KiB` : 'unknown'],
    ['max log size', `${cfg.maxLogFileMiB * 1024} KiB`],
    ['logs rotated', sink.rotations],
    ['Logging partition free space', free],
    ['space_left setting', `${cfg.spaceLeft.value}${cfg.spaceLeft.percent ? '%' : ' MiB'}`],
    ['admin_space_left setting', `${cfg.adminSpaceLeft.value}${cfg.adminSpaceLeft.percent ? '%' : ' MiB'}`],
    ['logging suspended', yn(sink.suspended)],
    ['suspend reason', sink.suspendReason ?? 'none'],
    ['disk write errors', sink.writeErrors],
    ['queue policy', s.policy],
    ['queue depth', `${s.queue.records} records, ${s.queue.bytes} bytes`],
    ['queue high water mark', `${s.queue.hwm} records, ${s.queue.hwmBytes} bytes`],
    ['queue low water mark', `${s.queue.lwm} records, ${s.queue.lwmBytes} bytes`],
    ['max queue depth used', `${s.queue.maxRecords} records, ${s.queue.maxBytes} bytes`],
    ['input paused by throttle', `${yn(s.queue.paused)} (${s.queue.pauses} times, ${s.queue.pausedMs} ms in all)`],
    ['records received', s.received],
    ['records written', s.written],
    ['records dropped (queue full)', s.dropped.queue_full],
    ['records not written (suspended)', s.dropped.suspended],
    ['malformed netlink messages', s.dropped.malformed],
    ['Number of active plugins', s.plugins.length],
    ...s.plugins.map((p): [string, string] => [`plugin ${p.name}`,
      `${p.state}, pid ${p.pid ?? '-'}, queue ${p.queueDepth}/${p.queueCapacity}, dropped ${p.dropped}, restarts ${p.restarts}`]),
    ['resident memory', `${Math.round(s.rssBytes / 1024)} KiB`],
  ];
  return lines.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

export function writeStateReport(cfg: DaemonConfig, s: DaemonStats, sink: LogSinkStats): void {
  const tmp = `${cfg.stateFile}.tmp`;
  writeFileSync(tmp, renderStateReport(cfg, s, sink), { mode: 0o640 });
  renameSync(tmp, cfg.stateFile);
}
