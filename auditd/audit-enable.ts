// auditd's `-s enable|nochange|disable`: what tsauditd does with the kernel's `enabled` flag at
// start, and what it puts back at exit. auditd's default is enable at start and disable at exit;
// tsauditd restores the value it found instead (so a daemon started on a host where audit was
// already on leaves it on). enabled = 2 (locked until reboot) is left alone, and never set.
import { AuditControl } from '../harness/kernel/audit-control.ts';

export type EnableState = 'enable' | 'nochange' | 'disable';
export const ENABLE_STATES: readonly EnableState[] = ['enable', 'nochange', 'disable'];

export interface EnableResult {
  /** the value found at start, null when untouched */
  found: number | null;
  set: number | null;
  /** put back what was found; resolves to a message for the log, or null when nothing to do */
  restore: () => Promise<string | null>;
}

async function setEnabled(enabled: 0 | 1): Promise<void> {
  const c = await AuditControl.open();
  try {
    await c.setStatus({ enabled });
  } finally {
    c.close();
  }
}

export async function applyEnableState(want: EnableState): Promise<EnableResult> {
  const nothing: EnableResult = { found: null, set: null, restore: async () => null };
  if (want === 'nochange') return nothing;
  const c = await AuditControl.open();
  let found: number;
  try {
    found = (await c.getStatus()).enabled;
  } finally {
    c.close();
  }
  const target = want === 'enable' ? 1 : 0;
  if (found === 2 || found === target) return { ...nothing, found };
  await setEnabled(target);
  return {
    found,
    set: target,
    restore: async () => {
      await setEnabled(found as 0 | 1);
      return `audit enabled flag restored to ${found}`;
    },
  };
}
