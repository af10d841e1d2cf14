// Log file rotation as auditd does it (auditd-event.c rotate_logs / shift_logs / check_excess_logs):
//   rotate, num_logs=N: log.(N-2) -> log.(N-1), ..., log.1 -> log.2, log -> log.1 (N files in all)
//   keep_logs: the same shift, but up to the first free number, so nothing is ever deleted
// Errors other than ENOENT are collected, not thrown: auditd carries on with the rest of the
// renames and reports each one, and so do we (the writer turns them into disk actions).

import { promises as fsp } from 'node:fs';

export interface RenameFailure {
  from: string;
  to: string;
  error: NodeJS.ErrnoException;
}

async function renameIfThere(from: string, to: string, failures: RenameFailure[]): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') failures.push({ from, to, error: err });
  }
}

/** Shift log.1.. up by one, keeping `files` files in all (the live log included), and move the
 *  live log to log.1. The caller has closed the live log and opens a new one afterwards. */
export async function shiftLogFiles(logFile: string, files: number): Promise<RenameFailure[]> {
  const failures: RenameFailure[] = [];
  for (let i = files - 1; i > 1; i--) {
    await renameIfThere(`${logFile}.${i - 1}`, `${logFile}.${i}`, failures);
  }
  await renameIfThere(logFile, `${logFile}.1`, failures);
  return failures;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** keep_logs: the first n >= 1 such that log.n does not exist (start the scan at `hint`). */
export async function firstFreeLogNumber(logFile: string, hint = 1): Promise<number> {
  let n = Math.max(1, hint);
  // The hint's file vanished (someone archived the logs): start over from 1, as auditd does.
  if (n > 1 && !(await exists(`${logFile}.${n - 1}`))) n = 1;
  while (await exists(`${logFile}.${n}`)) n++;
  return n;
}

/** Remove log.numLogs, log.numLogs+1, ... (left over from a larger num_logs). Returns the names. */
export async function removeExcessLogs(logFile: string, numLogs: number): Promise<string[]> {
  const removed: string[] = [];
  for (let i = numLogs; ; i++) {
    const name = `${logFile}.${i}`;
    try {
      await fsp.unlink(name);
      removed.push(name);
    } catch {
      return removed;
    }
  }
}
