// A process identity that survives pid reuse: pid plus the kernel's start time of that pid.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcIdentity {
  pid: number;
  /** field 22 of /proc/PID/stat (clock ticks since boot) */
  startTime: number;
}

export function procStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

export function selfIdentity(): ProcIdentity {
  return { pid: process.pid, startTime: procStartTime(process.pid) ?? 0 };
}

/** Alive means: the same process (start time matches) and not a zombie waiting to be reaped. */
export function isAlive(id: ProcIdentity): boolean {
  try {
    const stat = readFileSync(`/proc/${id.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return false;
    return id.startTime === 0 || Number(fields[19]) === id.startTime;
  } catch {
    return false;
  }
}

export function procCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || '?';
  } catch {
    return '?';
  }
}

/** Send `sig` to each process that is still the same process; returns how many got it. */
export function signalAll(procs: readonly ProcIdentity[], sig: NodeJS.Signals): number {
  let n = 0;
  for (const p of procs) {
    if (!isAlive(p)) continue;
    try { process.kill(p.pid, sig); n++; } catch { /* gone */ }
  }
  return n;
}

/** Processes whose command line is exactly `argv` (e.g. the server of one mount point). */
export function processesWithCommand(argv: readonly string[]): number[] {
  const want = argv.join('\0');
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0$/, '') === want) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}
