// Opening the live log the way auditd does (open_audit_log): O_WRONLY|O_APPEND|O_NOFOLLOW,
// plus O_DSYNC for flush=data and O_SYNC for flush=sync; mode 0600, or 0640 and group-owned
// when log_group is set; rotated logs become read-only (0400 / 0440).

import { constants as C, promises as fsp, readFileSync } from 'node:fs';
import { fsyncFd, closeFd, fstatFd, fchmodFd, fchownFd, openFd } from './fd-io.ts';

export type FlushMode = 'none' | 'incremental' | 'incremental_async' | 'data' | 'sync';

export function openFlags(flush: FlushMode): number {
  let flags = C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW;
  if (flush === 'data') flags |= C.O_DSYNC;
  else if (flush === 'sync') flags |= C.O_SYNC;
  return flags;
}

/** log_group as a gid: a number, a numeric string, or a name from /etc/group. */
export function resolveGroup(group: string | number): number {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  const lines = readFileSync('/etc/group', 'utf8').split('\n');
  for (const line of lines) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`log_group: no group named "${group}" in /etc/group; use an existing group name or a gid`);
}

export interface OpenedLog {
  fd: number;
  size: number;
}

export async function openLog(path: string, flush: FlushMode, gid: number | null): Promise<OpenedLog> {
  const mode = gid !== null ? 0o640 : 0o600;
  const fd = await openFd(path, openFlags(flush), mode);
  try {
    const st = await fstatFd(fd);
    await fchmodFd(fd, mode);
    if (gid !== null) await fchownFd(fd, 0, gid);
    return { fd, size: st.size };
  } catch (e) {
    await closeFd(fd).catch(() => {});
    throw e;
  }
}

/** Before rotating the live log away: make it read-only, flush it, close it. */
export async function retireLog(fd: number, gid: number | null): Promise<void> {
  await fchmodFd(fd, gid !== null ? 0o440 : 0o400).catch(() => {});
  await fsyncFd(fd).catch(() => {});
  await closeFd(fd);
}

export async function chmodPath(path: string, mode: number): Promise<void> {
  await fsp.chmod(path, mode);
}
