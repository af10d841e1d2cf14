// The kernel's audit status (backlog, lost, backlog_wait_time_actual) over the control socket.
// A netlink round trip is asynchronous, so the tick never waits for it: each poll() returns the
// latest answer and starts a new request unless one is still out. Read-only: no lock needed.
import type { AuditControl, AuditStatus } from '../kernel/audit-control.ts';

export interface KernelSample {
  backlog: number;
  lost: number;
  /** backlog_wait_time_actual in ms: time audited tasks slept because the backlog was full */
  waitActualMs: number;
  backlogLimit: number;
  enabled: number;
  /** registered daemon pid */
  pid: number;
  /** how old the answer is, ms (grows if the kernel stops answering) */
  ageMs: number;
}

export class AuditStatusMonitor {
  private latest: AuditStatus | null = null;
  private latestAt = 0;
  private inFlight = false;
  errors = 0;
  lastError: string | null = null;

  constructor(private readonly control: Pick<AuditControl, 'getStatus'>) {}

  /** Ask now and wait (the first sample, and the final one at stop). */
  async refresh(): Promise<AuditStatus | null> {
    try {
      this.latest = await this.control.getStatus();
      this.latestAt = Date.now();
    } catch (err) {
      this.errors++;
      this.lastError = (err as Error).message;
    }
    return this.latest;
  }

  poll(nowMs = Date.now()): KernelSample | null {
    if (!this.inFlight) {
      this.inFlight = true;
      void this.refresh().finally(() => { this.inFlight = false; });
    }
    const s = this.latest;
    if (!s) return null;
    return {
      backlog: s.backlog,
      lost: s.lost,
      waitActualMs: s.backlogWaitTimeActualMs,
      backlogLimit: s.backlogLimit,
      enabled: s.enabled,
      pid: s.pid,
      ageMs: Math.max(0, nowMs - this.latestAt),
    };
  }
}
