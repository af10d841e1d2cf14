// Processes of the daemon: its children (dispatcher plugins) and their descendants, and
// their identities (a pid reused by another process is not taken for them).
import { readdirSync, readFileSync } from 'node:fs';
import { procStartTime, type ProcIdentity } from '../host/proc-identity.ts';

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch { /* thread gone */ }
  }
  return [...new Set(out)];
}

export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length) {
    const p = queue.shift()!;
    if (out.includes(p)) continue;
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

export function identity(pid: number): ProcIdentity | null {
  const st = procStartTime(pid);
  return st === null ? null : { pid, startTime: st };
}

/** One-letter state from /proc/PID/stat: R, S, D, T (stopped), Z... null if gone. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** how long a process sent SIGSTOP may take to reach state T (see waitForStopped) */
export const STOP_WAIT_MS = 1000;

/** state T (stopped by a signal) or t (stopped by a tracer) */
export const isStopped = (state: unknown): boolean => state === 'T' || state === 't';

/**
 * After SIGSTOP: wait until every process is in state T (or has exited), at most `timeoutMs`. A
 * process in an uninterruptible system call (state D: a write to a slow or frozen disk, an fsync)
 * stops only when the call returns, which on a busy disk takes longer than a scheduler tick.
 * Returns the last states seen, in the order of `pids`, and how long it took.
 */
export async function waitForStopped(pids: number[], timeoutMs = STOP_WAIT_MS): Promise<{ states: (string | null)[]; waitedMs: number }> {
  const t0 = Date.now();
  let states = pids.map(procState);
  while (!states.every((s) => s === null || isStopped(s)) && Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 5));
    states = pids.map(procState);
  }
  return { states, waitedMs: Date.now() - t0 };
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}
