// Records the kernel already handed to a daemon but that it has not read yet sit in its netlink
// socket's receive buffer, where neither the kernel's backlog nor the daemon's stats show them
// (up to the buffer size: tsauditd asks for 8 MiB). /proc/net/netlink shows them as Rmem.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const NETLINK_AUDIT = 9;

/** Bytes waiting in the NETLINK_AUDIT sockets a process holds; null if it cannot be read. */
export function unreadAuditBytes(pid: number): number | null {
  let inodes: Set<string>;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''; } catch { return ''; }
    }).filter(Boolean));
  } catch {
    return null;
  }
  let total = 0;
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  for (const line of readFileSync('/proc/net/netlink', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || Number(f[1]) !== NETLINK_AUDIT || !inodes.has(f[9]!)) continue;
    total += Number(f[4]);
  }
  return total;
}
