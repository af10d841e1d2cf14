// Records the kernel already handed to a daemon but that it has not read yet sit in its netlink
// socket's receive buffer, where neither the kernel's backlog nor the daemon's stats show them;
// the drain waits for them too.
import { auditSocketStats } from '../monitors/netlink-socket.ts';

/** Bytes waiting in the NETLINK_AUDIT sockets a process holds; null if it cannot be read. */
export function unreadAuditBytes(pid: number): number | null {
  return auditSocketStats(pid)?.rmem ?? null;
}
