// Undo records as plain data: whatever layer changes the host (the runner, a daemon, a fault)
// writes, before the change, the list of generic steps that put it back: write a value back to a
// file, remove a file, remove an empty directory, signal or kill processes, thaw or unmount a
// filesystem, detach loop devices, remove a run cgroup. This layer knows how to carry out each
// step and nothing about who asked, so `auditstorm reset` after a SIGKILL undoes any record from
// the state file alone, without importing the layer that wrote it. Every step tolerates "already
// done" (the owner may have undone part of it before it died).
import { existsSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeCgroupDirs } from './cgroup-cleanup.ts';
import { removeCgroupState } from './cgroup-state.ts';
import { host, hostQuiet, HostCommandError } from './command.ts';
import { isMounted, loopDevicesOf } from './mounts.ts';
import { isAlive, processesWithCommand, procStartTime, signalAll, type ProcIdentity } from './proc-identity.ts';

export type UndoStep = (
  /** write `value` to `path` (a sysctl, a cgroup file); skipped when the file is gone and `ifExists` */
  | { op: 'write'; path: string; value: string; ifExists?: boolean }
  /** remove a file (or, with `recursive`, a directory tree); nothing to do when it is gone */
  | { op: 'remove'; path: string; recursive?: boolean }
  /** remove a directory if it is empty (a mount point); left alone when not empty or gone */
  | { op: 'rmdir'; path: string }
  /** send `signal` to each process that is still the same process (pid reuse is checked) */
  | { op: 'signal'; procs: ProcIdentity[]; signal: NodeJS.Signals }
  /** end a process (its whole group with `group`): SIGCONT, SIGTERM, SIGKILL after `graceMs` */
  | { op: 'kill'; proc: ProcIdentity; group: boolean; graceMs?: number }
  /** end every process whose command line is exactly `argv`, after `graceMs` to exit by itself */
  | { op: 'kill-command'; argv: string[]; graceMs?: number }
  /** `fsfreeze -u` the filesystem mounted at `path` (not mounted or not frozen: done) */
  | { op: 'thaw'; path: string }
  /** unmount `path`, retried while busy for `busyMs`, then lazily (not mounted: done) */
  | { op: 'umount'; path: string; busyMs?: number }
  /** detach every loop device backed by `file`; fails if one is still attached after */
  | { op: 'detach-loop'; file: string }
  /** remove a run cgroup's directories, killing what is still inside, and its cgroup state file */
  | { op: 'cgroup'; name: string; dirs: string[] }
) & {
  /** when this step fails, the record's later steps are not run (they would lose track of what is left) */
  haltOnFailure?: boolean;
};

export const UNDO_OPS: ReadonlyArray<UndoStep['op']> = ['write', 'remove', 'rmdir', 'signal', 'kill', 'kill-command', 'thaw', 'umount', 'detach-loop', 'cgroup'];

/** SIGCONT (a stopped process would not die of SIGTERM), SIGTERM, then SIGKILL after the grace. */
export async function killProcess(p: ProcIdentity, group: boolean, graceMs = 2000): Promise<void> {
  if (!isAlive(p)) return;
  const send = (sig: NodeJS.Signals) => { try { process.kill(group ? -p.pid : p.pid, sig); } catch { /* already gone */ } };
  send('SIGCONT');
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(p)) await sleep(50);
  if (isAlive(p)) send('SIGKILL');
  const hard = Date.now() + 5000;
  while (Date.now() < hard && isAlive(p)) await sleep(50);
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
    case 'rmdir':
      try { rmdirSync(s.path); } catch { /* not empty or gone */ }
      return;
    case 'signal':
      signalAll(s.procs, s.signal);
      return;
    case 'kill':
      await killProcess(s.proc, s.group, s.graceMs);
      return;
    case 'kill-command': {
      const deadline = Date.now() + (s.graceMs ?? 1000);
      while (Date.now() < deadline && processesWithCommand(s.argv).length) await sleep(50);
      for (const pid of processesWithCommand(s.argv)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      return;
    }
    case 'thaw':
      if (!isMounted(s.path)) return;
      try {
        await host('fsfreeze', ['-u', s.path]);
      } catch (err) {
        // EINVAL: it was not frozen (already thawed)
        if (!(err instanceof HostCommandError && /Invalid argument/.test(err.stderr))) throw err;
      }
      return;
    case 'umount': {
      const deadline = Date.now() + (s.busyMs ?? 5000);
      while (isMounted(s.path) && Date.now() < deadline) {
        if (await hostQuiet('umount', [s.path])) break;
        await sleep(100); // a process killed a moment ago may still hold a file open there
      }
      if (isMounted(s.path)) await host('umount', ['-l', s.path]);
      return;
    }
    case 'detach-loop': {
      for (const dev of await loopDevicesOf(s.file)) await host('losetup', ['-d', dev]);
      const left = await loopDevicesOf(s.file);
      if (left.length) throw new Error(`loop device(s) ${left.join(', ')} still attached to ${s.file}`);
      return;
    }
    case 'cgroup':
      await removeCgroupDirs(s.dirs, true);
      removeCgroupState(s.name);
      return;
    default:
      throw new Error(`unknown undo step '${(s as { op: unknown }).op}' (written by another auditstorm version?)`);
  }
}

function describe(s: UndoStep): string {
  switch (s.op) {
    case 'signal': return `signal ${s.signal} to pid(s) ${s.procs.map((p) => p.pid).join(',')}`;
    case 'kill': return `kill pid ${s.proc.pid}`;
    case 'kill-command': return `kill ${s.argv.join(' ')}`;
    case 'detach-loop': return `detach loop of ${s.file}`;
    case 'cgroup': return `remove cgroup ${s.name}`;
    default: return `${s.op} ${(s as { path?: string }).path ?? ''}`.trim();
  }
}

/** Carry out the steps in order; throws one error naming every step that failed. */
export async function runUndoSteps(steps: readonly UndoStep[]): Promise<void> {
  const failed: string[] = [];
  for (const s of steps) {
    try {
      await runStep(s);
    } catch (err) {
      failed.push(`${describe(s)}: ${(err as Error).message}`);
      if (s.haltOnFailure) {
        const rest = steps.slice(steps.indexOf(s) + 1);
        if (rest.length) failed.push(`not tried after that: ${rest.map(describe).join('; ')}`);
        break;
      }
    }
  }
  if (failed.length) throw new Error(failed.join('; '));
}

/** The undo of a process this run started: end it (and its group) if it is still that process. */
export function killStep(pid: number, group: boolean): UndoStep {
  return { op: 'kill', proc: { pid, startTime: procStartTime(pid) ?? 0 }, group };
}
