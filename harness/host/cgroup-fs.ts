// Small, synchronous file helpers for cgroupfs. Cgroup files are tiny kernel-generated text, so
// sync reads cost microseconds and keep the helpers usable from exit paths.
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class CgroupError extends Error {
  readonly code: string;
  readonly path: string;
  constructor(operation: string, path: string, code: string, message: string, hint = '') {
    super(`${operation} (${path}): ${message}${hint ? ` (${hint})` : ''}`);
    this.name = 'CgroupError';
    this.code = code;
    this.path = path;
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'run as root with write access to the cgroup hierarchy',
  EPERM: 'run as root with write access to the cgroup hierarchy',
  EROFS: 'the cgroup hierarchy is mounted read-only (a container?): run on the host or a VM',
  ENOENT: 'the controller file is missing: is the controller enabled for this cgroup?',
  EBUSY: 'the kernel could not reclaim enough memory to go under the new limit (cgroup v1 refuses ' +
    'instead of OOM-killing): choose a limit above the current usage',
  EINVAL: 'the kernel rejected the value: check its range and format',
};

export function cgroupErrorFrom(operation: string, path: string, err: unknown): CgroupError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'EIO';
  return new CgroupError(operation, path, code, e.message.replace(/^[A-Z]+: /, ''), HINTS[code] ?? '');
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw cgroupErrorFrom('read', path, err);
  }
}

export function readNumber(path: string): number {
  const text = readText(path).trim();
  // v2 writes "max" for no limit; v1 writes a huge number (PAGE_COUNTER_MAX pages).
  if (text === 'max') return Number.POSITIVE_INFINITY;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new CgroupError('parse', path, 'EPROTO', `expected a number, got '${text}'`);
  return n;
}

/** A flat keyed file (`key value` per line: memory.events, memory.oom_control, cpu.stat). */
export function readKeyed(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readText(path).split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return out;
}

export function writeText(path: string, value: string, operation = 'write'): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw cgroupErrorFrom(`${operation} '${value.trim()}'`, path, err);
  }
}

export const exists = (path: string): boolean => existsSync(path);

export function listPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface EmptyOptions {
  /** SIGKILL the processes (else move them to the parent cgroup) */
  kill: boolean;
  /** where survivors go when not killed; default the parent directory */
  moveTo?: string;
  timeoutMs?: number;
}

/**
 * Empty a cgroup directory of processes and remove it. Idempotent: a missing directory is done.
 * Returns the pids that were killed or moved.
 */
export async function emptyAndRemove(dir: string, options: EmptyOptions): Promise<number[]> {
  const touched = new Set<number>();
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const target = options.moveTo ?? dirname(dir);
  for (;;) {
    let pids: number[];
    try {
      pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [...touched];
      throw cgroupErrorFrom('list processes', dir, err);
    }
    if (pids.length === 0) {
      try {
        rmdirSync(dir);
        return [...touched];
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return [...touched];
        // EBUSY right after the last task exits: the kernel is still tearing it down.
        if (code !== 'EBUSY' || Date.now() > deadline) throw cgroupErrorFrom('remove cgroup', dir, err);
      }
    }
    for (const pid of pids) {
      touched.add(pid);
      if (options.kill) {
        // SIGKILL acts on stopped tasks too; tasks in D state die when their I/O completes.
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      } else {
        try { writeFileSync(join(target, 'cgroup.procs'), String(pid)); } catch { /* gone or exiting */ }
      }
    }
    if (Date.now() > deadline) {
      throw new CgroupError('empty cgroup', dir, 'EBUSY',
        `processes ${pids.join(', ')} are still in it after ${options.timeoutMs ?? 10_000} ms`,
        'a process in uninterruptible sleep (e.g. writing to a frozen filesystem) dies only when ' +
        'its I/O completes: thaw the filesystem first');
    }
    await sleep(pids.length ? 20 : 50);
  }
}
