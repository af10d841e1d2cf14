// One user of kernel audit per machine: an exclusive lock file naming its holder.
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupStateDir } from './cgroup-state.ts';
import { lockPath, stateDir } from './paths.ts';
import { isAlive, procCommand, selfIdentity, type ProcIdentity } from './proc-identity.ts';

export class LockHeldError extends Error {
  constructor(readonly holder: ProcIdentity & { command: string }) {
    super(`another auditstorm run holds the kernel audit lock: pid ${holder.pid} (${holder.command}); ` +
      `wait for it to finish or stop it (kill ${holder.pid}), then run again`);
    this.name = 'LockHeldError';
  }
}

export interface Lock {
  release(): void;
}

export interface LockOptions {
  /** wait this long for the holder to finish instead of failing at once */
  waitMs?: number;
}

function readHolder(): ProcIdentity | null {
  try {
    const parsed = JSON.parse(readFileSync(lockPath(), 'utf8')) as ProcIdentity;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

function tryAcquire(): Lock | ProcIdentity {
  mkdirSync(stateDir(), { recursive: true });
  const me = selfIdentity();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath(), 'wx', 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          const holder = readHolder();
          if (holder?.pid === me.pid) {
            unlinkSync(lockPath());
            removeEmptyStateDir();
          }
        },
      };
    } catch (err) {
      // the directory was removed by a holder releasing its lock just now: make it again
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(stateDir(), { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder();
      // A lock whose holder died (SIGKILL) is stale: the state file, not the lock, carries
      // what must be restored, so removing the lock loses nothing.
      if (holder && isAlive(holder)) return holder;
      try { unlinkSync(lockPath()); } catch { /* raced with another taker */ }
    }
  }
  return readHolder() ?? { pid: 0, startTime: 0 };
}

/** Between runs the state directory holds nothing, so /run is left as it was found. A state file
 *  or a cgroup record still in it (what `reset` needs after a kill) keeps it: rmdir refuses. */
function removeEmptyStateDir(): void {
  for (const dir of [cgroupStateDir(), stateDir()]) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, or not there
    }
  }
}

export async function acquireLock(options: LockOptions = {}): Promise<Lock> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const got = tryAcquire();
    if ('release' in got) return got;
    if (Date.now() >= deadline) throw new LockHeldError({ ...got, command: procCommand(got.pid) });
    await sleep(200);
  }
}
