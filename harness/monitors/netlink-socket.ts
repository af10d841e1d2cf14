// The daemon's audit socket as the kernel sees it (/proc/net/netlink): Rmem, the bytes the kernel
// already handed to the daemon that it has not read (kernel memory held on its behalf, up to its
// receive buffer: 8 MiB for tsauditd), and Drops, which counts kauditd's sends to it that timed
// out on a full buffer (the warning sign of the kernel's silent drop). Any daemon: found by the
// NETLINK_AUDIT sockets among its open files.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const NETLINK_AUDIT = 9;

export interface AuditSocketStats {
  /** bytes queued for the process, unread, summed over its NETLINK_AUDIT sockets */
  rmem: number;
  /** the sockets' drop counters, summed */
  drops: number;
  sockets: number;
}

function socketInodes(pid: number): Set<string> | null {
  try {
    const out = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]!);
      } catch { /* closed meanwhile */ }
    }
    return out;
  } catch {
    return null;
  }
}

/** The NETLINK_AUDIT sockets a process holds; null if its fds cannot be read (gone, no access). */
export function auditSocketStats(pid: number, netlinkText?: string): AuditSocketStats | null {
  const inodes = socketInodes(pid);
  if (!inodes) return null;
  const out: AuditSocketStats = { rmem: 0, drops: 0, sockets: 0 };
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  for (const line of (netlinkText ?? readFileSync('/proc/net/netlink', 'utf8')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || Number(f[1]) !== NETLINK_AUDIT || !inodes.has(f[9]!)) continue;
    out.rmem += Number(f[4]);
    out.drops += Number(f[8]);
    out.sockets++;
  }
  return out;
}
