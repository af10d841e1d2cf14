// Every generated event is logged, or named as lost by who lost it; what is neither is silent
// loss, the one thing an audit daemon must never do. Counted in one unit, the event (one
// serial); counters kept in records are used only as an upper bound, and said to be one.
import type { SerialSet } from '../kernel/serial-set.ts';
import type { LogScan } from './log-events.ts';

export interface KernelLossInputs {
  /** delta of the kernel's `lost` over the run's window: records, any auid */
  lostDelta: number;
  /** the run's events kauditd printed to the kernel log (null: no kernel-log reader ran) */
  printed: SerialSet | null;
  /** records printk's rate limit hid ("kauditd_printk_skb: N callbacks suppressed") */
  suppressed: number;
  /** kernel-log records overwritten before the reader saw them (sequence gaps, EPIPE) */
  missedKmsgRecords: number;
  /** the kernel was booted with audit=1: printed records are held for the daemon, not dropped */
  holdsPrinted: boolean;
}

export interface DaemonLossInputs {
  /** whole events the daemon's queue policy dropped, by its own count (null: it has no such count) */
  droppedEvents: number | null;
  /** whole events it took in but did not write (null: no such count) */
  notWrittenEvents: number | null;
}

export interface AccountingInputs {
  generated: number;
  /** generated per load process pid; null when the loads did not say */
  generatedByPid: Map<number, number> | null;
  log: LogScan;
  kernel: KernelLossInputs;
  daemon: DaemonLossInputs;
}

export interface EventLosses {
  /** `lost` delta, RECORDS of any auid: an upper bound of the events it can explain */
  kernelCounted: number;
  /** the run's events the kernel printed and dropped, identified by serial, not in the log */
  kernelDropped: number;
  /** kernel drops seen but not identified (suppressed prints, overwritten kernel-log records): records, a bound */
  kernelDroppedUnattributed: number;
  /** events, the daemon's own per-event count (null: it reports none) */
  daemonDropped: number | null;
  /** events, the daemon's own count (null: it reports none) */
  daemonNotWritten: number | null;
}

export type AccountingTerm = 'generated' | 'logged' | 'incomplete' | 'kernelCounted' | 'kernelDropped'
  | 'kernelDroppedUnattributed' | 'daemonDropped' | 'daemonNotWritten' | 'silentLoss' | 'silentLossBound'
  | 'duplicates' | 'unexpected';

export interface EventAccounting {
  generated: number;
  /** distinct events of the run's auid in the log (unexpected ones included) */
  logged: number;
  /** of the logged events, those with records missing */
  incomplete: number;
  lost: EventLosses;
  /** events neither logged nor explained: generated - expected logged - identified and
   *  per-event counted losses - the upper bound of what the record counters could explain.
   *  A lower bound of the silent loss when silentLossBound is present */
  silentLoss: number;
  /** the upper bound of the silent loss, present when record counters took part */
  silentLossBound?: number;
  /** events with a record written more than once */
  duplicates: number;
  /** logged events of the run's auid no load accounts for */
  unexpected: number;
  method: Partial<Record<AccountingTerm, string>>;
}

/** Events the loads generated that are not in the log, whoever lost them (what `loss_max` judges). */
export function eventsMissing(e: EventAccounting): number {
  return Math.max(0, e.generated - (e.logged - e.unexpected));
}

/** Losses named by serial or by a per-event count (not the record bounds). */
export function namedLoss(e: EventAccounting): number {
  // summaries written before per-event accounting have no `lost`
  const l = (e as Partial<EventAccounting>).lost;
  return l ? l.kernelDropped + (l.daemonDropped ?? 0) + (l.daemonNotWritten ?? 0) : 0;
}

/** The loss figures as one phrase, the same in the CLI's verdict line and the markdown summary:
 *  named losses with who named them, and the silent loss as a range when a record bound took part. */
export function lossPhrase(e: EventAccounting): string {
  const l = (e as Partial<EventAccounting>).lost;
  const daemon = l ? `${l.daemonDropped ?? 'n/a'}+${l.daemonNotWritten ?? 'n/a'}` : 'n/a+n/a';
  const silent = `${e.silentLoss}${e.silentLossBound !== undefined ? `..${e.silentLossBound}` : ''}`;
  return `lost by name ${namedLoss(e)} (kernel ${l?.kernelDropped ?? 0} by serial, daemon ${daemon}), silent loss ${silent}`;
}

/** Logged events beyond what each load process generated; an extra event of one process never
 *  stands in for a missing event of another. */
function unexpectedEvents(i: AccountingInputs): { unexpected: number; how: string } {
  const logged = i.log.events;
  if (!i.generatedByPid) {
    return { unexpected: Math.max(0, logged - i.generated), how: 'logged - generated (the loads gave no per-process counts)' };
  }
  let expected = 0;
  for (const [pid, n] of i.log.byLoadPid) {
    if (pid < 0) continue;
    expected += Math.min(n, i.generatedByPid.get(pid) ?? 0);
  }
  return {
    unexpected: logged - expected,
    how: 'per load process (its pid, or its parent\'s for a child it spawned): logged events beyond the count it reported, plus events of the run\'s auid no load process made',
  };
}

export function accountEvents(i: AccountingInputs): EventAccounting {
  const { log, kernel, daemon } = i;
  const { unexpected, how } = unexpectedEvents(i);
  const missing = Math.max(0, i.generated - (log.events - unexpected));

  let kernelDropped = 0;
  let kernelDroppedHow: string;
  if (!kernel.printed) {
    kernelDroppedHow = 'not measured: no kernel-log reader ran';
  } else if (kernel.holdsPrinted) {
    const notLogged = kernel.printed.size - kernel.printed.countIn(log.serials);
    kernelDroppedHow = `0: the kernel was booted with audit=1, so the ${kernel.printed.size} event(s) it printed were held for the daemon, not dropped` +
      (notLogged ? ` (${notLogged} of them never reached the log: held-queue overflow is in kernelCounted)` : '');
  } else {
    kernelDropped = kernel.printed.size - kernel.printed.countIn(log.serials);
    kernelDroppedHow = 'serials of the run\'s events (SYSCALL or user-range record with the run\'s auid) that kauditd printed to /dev/kmsg over the run\'s window, minus those in the log';
  }
  const unattributed = kernel.suppressed + kernel.missedKmsgRecords;

  // Identified and per-event counts first, each capped by what is still missing; the record
  // counters last, as a bound.
  let rest = missing;
  const take = (n: number) => { const t = Math.min(rest, Math.max(0, n)); rest -= t; return t; };
  take(kernelDropped);
  take(daemon.droppedEvents ?? 0);
  take(daemon.notWrittenEvents ?? 0);
  const beforeBound = rest;
  take(kernel.lostDelta + unattributed);
  const bounded = kernel.lostDelta + unattributed > 0;

  const method: EventAccounting['method'] = {
    generated: 'sum of the audited syscalls (user-range records) each load process reported',
    logged: 'distinct serials in the log whose SYSCALL or user-range record has the run\'s auid (the LOGIN event of each load setting its auid excluded)',
    incomplete: 'logged events missing a record the kernel emits for them: PATH items=0..N-1 per the SYSCALL\'s items=N, PROCTITLE, and CWD when a PATH names a path',
    kernelCounted: 'delta of the kernel\'s lost counter over the run\'s window: records of any auid, an upper bound of events',
    kernelDropped: kernelDroppedHow,
    kernelDroppedUnattributed: `records: ${kernel.suppressed} hidden by printk's rate limit (callbacks suppressed) + ${kernel.missedKmsgRecords} kernel-log records overwritten before they were read; an upper bound of events`,
    daemonDropped: daemon.droppedEvents === null ? 'none: the daemon reports no per-event drop count' : 'the daemon\'s own count of whole events its queue policy dropped (stats events.droppedQueueFull)',
    daemonNotWritten: daemon.notWrittenEvents === null ? 'none: the daemon reports no per-event count' : 'the daemon\'s own count of whole events it did not write (stats events.notWritten)',
    silentLoss: 'generated - (logged - unexpected) - kernelDropped - daemonDropped - daemonNotWritten - min(rest, kernelCounted + kernelDroppedUnattributed), never below 0',
    duplicates: 'logged events with a record (SYSCALL, PATH item, CWD, PROCTITLE, user record) written more than once',
    unexpected: how,
  };
  const out: EventAccounting = {
    generated: i.generated,
    logged: log.events,
    incomplete: log.incomplete,
    lost: {
      kernelCounted: kernel.lostDelta,
      kernelDropped,
      kernelDroppedUnattributed: unattributed,
      daemonDropped: daemon.droppedEvents,
      daemonNotWritten: daemon.notWrittenEvents,
    },
    silentLoss: rest,
    duplicates: log.duplicates,
    unexpected,
    method,
  };
  if (bounded) {
    out.silentLossBound = beforeBound;
    method.silentLossBound = 'silentLoss before the record counters are subtracted: the silent loss is at least silentLoss and at most this';
  }
  return out;
}
