// Every generated event is either logged or accounted for as lost; what is neither is silent
// loss, the one thing an audit daemon must never do.
import type { LogEventCounts } from './log-events.ts';

export interface LossSources {
  /** records the kernel counted as lost during the run (delta of `lost`) */
  kernelLost: number;
  /** records the daemon says it dropped or did not write (its own stats), null if it has none */
  daemonDropped: number | null;
  /** records kauditd dropped after printing them to the kernel log (printed lines plus
   *  "kauditd_printk_skb: N callbacks suppressed"): the kernel's hold path when the daemon's
   *  socket stays full, which `lost` does not count on kernels booted without audit=1 */
  kernelPrintkDropped?: number;
}

export interface EventAccounting {
  generated: number;
  logged: number;
  /** logged, but with records missing */
  incomplete: number;
  /** loss the kernel or the daemon counted (records, each taken as possibly one whole event) */
  accountedLoss: number;
  /** missing and not accounted for by any counter */
  silentLoss: number;
  /** of the accounted loss, the records the kernel's log says kauditd dropped (see LossSources) */
  kernelPrintkDropped: number;
  duplicates: number;
  /** logged events of the run's auid beyond what the loads say they caused */
  unexpected: number;
}

export function accountEvents(generated: number, log: LogEventCounts, loss: LossSources): EventAccounting {
  const logged = log.events;
  const missing = Math.max(0, generated - logged);
  // A lost record may be a whole event's SYSCALL record, so a counted lost record can explain at
  // most one missing event; counting records is the generous bound, stated in the README.
  const counted = loss.kernelLost + (loss.daemonDropped ?? 0) + (loss.kernelPrintkDropped ?? 0);
  const accountedLoss = Math.min(missing, counted);
  return {
    generated,
    logged,
    incomplete: log.incomplete,
    accountedLoss,
    silentLoss: missing - accountedLoss,
    kernelPrintkDropped: loss.kernelPrintkDropped ?? 0,
    duplicates: log.duplicateEvents,
    unexpected: Math.max(0, logged - generated),
  };
}
