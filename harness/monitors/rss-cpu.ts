// The daemon's RSS and CPU, read straight from /proc/PID/status (VmRSS, VmHWM) and
// /proc/PID/stat (utime+stime). Not pidusage: it reads the same /proc/PID/stat but adds a
// promise, its own history cache and uptime reads per call, reports 0 for its first CPU figure
// and has no VmHWM; two small reads of our own are cheaper, synchronous and exact.
import { fieldKiB, readSmall } from './proc-read.ts';

// /proc/PID/stat counts CPU in USER_HZ ticks, which Linux fixes at 100 on every architecture we
// run on (`getconf CLK_TCK`); it is not the kernel's HZ.
const USER_HZ = Number(process.env.AUDITSTORM_USER_HZ ?? 100);

export interface ProcSample {
  pid: number;
  rssBytes: number;
  /** the process's own high-water mark (VmHWM) */
  hwmBytes: number;
  threads: number;
  /** percent of one core since the previous sample (null on the first sample of a pid) */
  cpuPct: number | null;
  /** total CPU seconds (user+system) of the main pid */
  cpuSec: number;
  /** sum of VmRSS over all given pids (main + plugins) */
  rssAllBytes: number;
}

export function readProcStatus(pid: number): { rssBytes: number; hwmBytes: number; threads: number } | null {
  const s = readSmall(`/proc/${pid}/status`);
  if (s === null) return null;
  // A zombie has no VmRSS line.
  const rss = fieldKiB(s, 'VmRSS:');
  if (rss === null) return null;
  return { rssBytes: rss * 1024, hwmBytes: (fieldKiB(s, 'VmHWM:') ?? rss) * 1024, threads: fieldKiB(s, 'Threads:') ?? 1 };
}

/** utime+stime in seconds. */
export function readCpuSec(pid: number): number | null {
  const s = readSmall(`/proc/${pid}/stat`);
  if (s === null) return null;
  // comm may hold spaces and ')': fields start after the last ')'; utime/stime are fields 14/15.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ', 13);
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

export class ProcessMonitor {
  private last: { pid: number; cpuSec: number; atMs: number } | null = null;

  /** pids(): the daemon's pids, main first; may change (crash + restart). */
  constructor(private readonly pids: () => readonly number[]) {}

  sample(nowMs: number): ProcSample | null {
    const pids = this.pids();
    const pid = pids[0];
    if (pid === undefined) return null;
    const st = readProcStatus(pid);
    const cpuSec = readCpuSec(pid);
    if (st === null || cpuSec === null) return null;
    let cpuPct: number | null = null;
    if (this.last && this.last.pid === pid && nowMs > this.last.atMs) {
      cpuPct = Math.round(((cpuSec - this.last.cpuSec) / ((nowMs - this.last.atMs) / 1000)) * 1000) / 10;
    }
    this.last = { pid, cpuSec, atMs: nowMs };
    let rssAll = st.rssBytes;
    for (let i = 1; i < pids.length; i++) rssAll += readProcStatus(pids[i])?.rssBytes ?? 0;
    return { pid, ...st, cpuPct, cpuSec, rssAllBytes: rssAll };
  }
}
