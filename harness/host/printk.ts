// While a run lasts, the kernel must print every audit record kauditd gives up on, so the
// harness can name the dropped events by serial: printk's rate limit is lifted
// (/proc/sys/kernel/printk_ratelimit 0), and the console loglevel is lowered below NOTICE so
// those thousands of lines do not go to a (slow, serial) console and slow the kernel down.
// Both values are recorded as found, before the change, with the host session's undo.
import { readFileSync, writeFileSync } from 'node:fs';
import type { UndoStep } from './undo-steps.ts';

export const PRINTK_RATELIMIT = '/proc/sys/kernel/printk_ratelimit';
export const PRINTK_LEVELS = '/proc/sys/kernel/printk';
/** KERN_NOTICE is 5: a console loglevel of 5 prints only levels 0-4 */
const NOTICE = 5;

/** The part of the host session this needs (HostSession has it) */
export interface PrintkTracker {
  track(by: string, label: string, steps: UndoStep[]): number;
  undo(id: number): Promise<void>;
}

export interface PrintkChange {
  /** as found */
  ratelimitBefore: string;
  levelsBefore: string;
  /** what the run set (null: left as found, with why) */
  ratelimit: string | null;
  consoleLevel: number | null;
  notes: string[];
  /** put both back as found (also done by the session's undo on any exit path) */
  restore(): Promise<void>;
}

export async function liftPrintkLimits(session: PrintkTracker, paths = { ratelimit: PRINTK_RATELIMIT, levels: PRINTK_LEVELS }): Promise<PrintkChange> {
  const ratelimitBefore = readFileSync(paths.ratelimit, 'utf8').trim();
  const levelsBefore = readFileSync(paths.levels, 'utf8').trim();
  const levels = levelsBefore.split(/\s+/);
  const steps: UndoStep[] = [
    { op: 'write', path: paths.ratelimit, value: ratelimitBefore },
    { op: 'write', path: paths.levels, value: levels[0]! },
  ];
  const id = session.track('printk', `printk_ratelimit ${ratelimitBefore}, console loglevel ${levels[0]}`, steps);
  const notes: string[] = [];
  let ratelimit: string | null = null;
  let consoleLevel: number | null = null;
  try {
    writeFileSync(paths.ratelimit, '0');
    ratelimit = '0';
  } catch (err) {
    notes.push(`printk_ratelimit left at ${ratelimitBefore}: ${(err as Error).message}`);
  }
  const current = Number(levels[0]);
  if (Number.isFinite(current) && current > NOTICE) {
    try {
      // only the first field (console loglevel) is written; the kernel keeps the other three
      writeFileSync(paths.levels, String(NOTICE));
      consoleLevel = NOTICE;
    } catch (err) {
      notes.push(`console loglevel left at ${current}: ${(err as Error).message}`);
    }
  }
  let restored = false;
  return {
    ratelimitBefore, levelsBefore, ratelimit, consoleLevel, notes,
    async restore() {
      if (restored) return;
      restored = true;
      await session.undo(id);
    },
  };
}
