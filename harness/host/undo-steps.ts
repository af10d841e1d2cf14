// Undo records as data: a list of steps the host layer knows how to carry out (write a value
// back, remove a file, signal processes, run a command), so the layer that changes the host
// says in its record how to put it back, and `auditstorm reset` can do that from the state file
// without importing that layer. Steps run in order; each failure is reported, and the rest
// still run.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isAlive, type ProcIdentity } from './proc-identity.ts';
import { defineUndo } from './undo-registry.ts';

export type UndoStep =
  /** write `value` to `path` (a sysctl, a cgroup file); skipped when the file is gone and `ifExists` */
  | { op: 'write'; path: string; value: string; ifExists?: boolean }
  /** remove a file or directory tree */
  | { op: 'remove'; path: string; recursive?: boolean }
  /** send `signal` to each process that is still the same process */
  | { op: 'signal'; procs: ProcIdentity[]; signal: NodeJS.Signals }
  /** run a command; with `ifMounted`, only while that mount point is mounted */
  | { op: 'exec'; argv: string[]; ifMounted?: string; timeoutMs?: number; okToFail?: boolean };

export const UNDO_STEPS = 'steps';

const exec = promisify(execFile);

export function isMountPoint(path: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path);
  } catch {
    return false;
  }
}

async function runStep(s: UndoStep): Promise<void> {
  switch (s.op) {
    case 'write':
      if (s.ifExists && !existsSync(s.path)) return;
      writeFileSync(s.path, s.value);
      return;
    case 'remove':
      rmSync(s.path, { force: true, recursive: s.recursive ?? false });
      return;
    case 'signal':
      for (const p of s.procs) {
        if (!isAlive(p)) continue;
        try { process.kill(p.pid, s.signal); } catch { /* gone meanwhile */ }
      }
      return;
    case 'exec':
      if (s.ifMounted && !isMountPoint(s.ifMounted)) return;
      try {
        await exec(s.argv[0]!, s.argv.slice(1), { timeout: s.timeoutMs ?? 30_000 });
      } catch (err) {
        if (!s.okToFail) throw err;
      }
  }
}

/** Carry out every step, in order; throws one error naming all that failed. */
export async function runUndoSteps(steps: UndoStep[]): Promise<void> {
  const failed: string[] = [];
  for (const s of steps) {
    try {
      await runStep(s);
    } catch (err) {
      failed.push(`${s.op}${'path' in s ? ` ${s.path}` : s.op === 'exec' ? ` ${s.argv.join(' ')}` : ''}: ${(err as Error).message}`);
    }
  }
  if (failed.length) throw new Error(failed.join('; '));
}

defineUndo(UNDO_STEPS, (data: { steps: UndoStep[] }) => runUndoSteps(data.steps));
