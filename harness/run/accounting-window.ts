// The run's one accounting window: from just before the loads start until the daemon has
// stopped. Over it, and only over it, the kernel's `lost` delta is taken and the kernel log is
// read (with printk's rate limit lifted, so kauditd prints every record it gives up on); the
// daemon's log is then filtered by the same run's auid. Opening and closing it are the two
// points where the accounting's inputs start and stop.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostSession } from '../host/host-session.ts';
import { liftPrintkLimits, type PrintkChange } from '../host/printk.ts';
import { KmsgMonitor } from '../monitors/kmsg.ts';
import { KernelPrints } from '../monitors/kernel-prints.ts';
import type { KernelLossInputs } from '../verdict/accounting.ts';
import type { SerialSet } from '../kernel/serial-set.ts';

export interface WindowFigures extends KernelLossInputs {
  lostBefore: number;
  lostAfter: number;
  /** audit records kauditd printed over the window, any auid */
  printedRecords: number;
  /** of those, leading records of other auids' events */
  printedOtherAuid: number;
  /** serials of printed records that are not an event's leading record (PATH, CWD, PROCTITLE...) */
  printedTrailing: SerialSet | null;
  /** printk settings as found and as set, and anything that could not be done */
  printk: { ratelimitFound: string; consoleLevelsFound: string; ratelimitSet: string | null; consoleLevelSet: number | null } | null;
  notes: string[];
}

/** True when the kernel was booted with audit=1 (it then holds undeliverable records instead of dropping them). */
export function kernelHoldsPrinted(cmdline = readFileSync('/proc/cmdline', 'utf8')): boolean {
  return cmdline.split(/\s+/).some((w) => w === 'audit=1');
}

export class AccountingWindow {
  private suppressed = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed: WindowFigures | null = null;
  /** what could not be set up as wanted, said at opening (for the run's warnings) */
  readonly openNotes: string[];

  private constructor(
    private readonly session: HostSession,
    readonly kmsg: KmsgMonitor | null,
    private readonly prints: KernelPrints,
    private readonly printk: PrintkChange | null,
    private readonly lostBefore: number,
    private readonly holdsPrinted: boolean,
    private readonly notes: string[],
  ) {
    this.openNotes = [...notes];
    kmsg?.on((e) => { if (e.kind === 'suppressed' && e.source === 'kauditd_printk_skb') this.suppressed += e.count; });
    kmsg?.onAuditRecord((r) => prints.add(r));
    // Read the kernel log faster than the sampler's tick: a burst of printed records can wrap
    // the kernel's ring buffer within a second, and overwritten records cannot be named.
    if (kmsg) {
      this.timer = setInterval(() => { try { kmsg.poll(); } catch { /* the sampler reports a broken kmsg */ } }, 20);
      this.timer.unref();
    }
  }

  static async open(session: HostSession, auid: number): Promise<AccountingWindow> {
    const notes: string[] = [];
    const holds = kernelHoldsPrinted();
    if (holds) notes.push('the kernel was booted with audit=1: records it cannot deliver are held for the daemon, not dropped; kernelDropped is 0 and held-queue overflow counts in `lost`');
    let printk: PrintkChange | null = null;
    try {
      printk = await liftPrintkLimits(session);
      notes.push(...printk.notes);
    } catch (err) {
      notes.push(`printk settings left as found (${(err as Error).message}): records hidden by its rate limit are counted as kernelDroppedUnattributed`);
    }
    let kmsg: KmsgMonitor | null = null;
    try {
      kmsg = KmsgMonitor.open();
    } catch (err) {
      notes.push(`cannot read /dev/kmsg (${(err as Error).message}): kernel drops cannot be identified by serial`);
    }
    const lostBefore = (await session.control.getStatus()).lost;
    return new AccountingWindow(session, kmsg, new KernelPrints(auid), printk, lostBefore, holds, notes);
  }

  /** Close the window (after the daemon stopped): last kernel-log records, the `lost` delta,
   *  printk settings back as found. Idempotent. */
  async close(): Promise<WindowFigures> {
    if (this.closed) return this.closed;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.kmsg) {
      if (this.printk?.ratelimit !== '0') await flushPrintkCount(this.kmsg, this.session);
      this.kmsg.poll();
      this.kmsg.close();
    }
    const lostAfter = (await this.session.control.getStatus()).lost;
    if (this.printk) {
      try { await this.printk.restore(); } catch (err) { this.notes.push(`printk settings: ${(err as Error).message} (the session's undo retries)`); }
    }
    const p = this.prints.summary();
    this.closed = {
      lostBefore: this.lostBefore, lostAfter,
      lostDelta: Math.max(0, lostAfter - this.lostBefore),
      printed: this.kmsg ? this.prints.events() : null,
      suppressed: this.suppressed,
      missedKmsgRecords: this.kmsg?.missedRecords ?? 0,
      holdsPrinted: this.holdsPrinted,
      printedRecords: p.records,
      printedOtherAuid: p.otherAuidRecords,
      printedTrailing: this.kmsg ? this.prints.trailing : null,
      printk: this.printk ? { ratelimitFound: this.printk.ratelimitBefore, consoleLevelsFound: this.printk.levelsBefore, ratelimitSet: this.printk.ratelimit, consoleLevelSet: this.printk.consoleLevel } : null,
      notes: this.notes,
    };
    return this.closed;
  }

  /** For an error path: stop reading, put printk back. */
  async abort(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try { this.kmsg?.close(); } catch { /* closing */ }
    await this.printk?.restore().catch(() => undefined);
  }
}

/**
 * When printk's rate limit could not be lifted: it reports how many calls it suppressed only
 * when a later call passes after its 5 s window. If kauditd printed records lately, wait the
 * window out and make it print one more (a user message while no daemon is registered: printed,
 * then dropped; its auid is the harness's, not the run's), so the last window's count is read.
 */
async function flushPrintkCount(kmsg: KmsgMonitor, session: HostSession): Promise<void> {
  kmsg.poll();
  if (!kmsg.lastPrintedAt || Date.now() - kmsg.lastPrintedAt > 6000) return;
  if ((await session.control.getStatus()).pid !== 0) return; // a daemon would receive it instead
  await sleep(Math.max(0, kmsg.lastPrintedAt + 5200 - Date.now()));
  await session.control.sendUserMessage(1005, 'auditstorm: flush the kernel log rate limit count').catch(() => undefined);
  await sleep(300);
  kmsg.poll();
}
