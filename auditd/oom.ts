// oom_score_adj, like auditd's -1000 ("never kill the audit daemon"). Lowering it needs
// CAP_SYS_RESOURCE; where that is missing (these VMs) the write fails with EACCES: we warn and go
// on, as auditd does, rather than refuse to start.
import { readFileSync, writeFileSync } from 'node:fs';

export interface OomResult {
  requested: number | null;
  /** the value in effect afterwards */
  actual: number;
  /** why the request did not take, or null */
  warning: string | null;
}

export function applyOomScoreAdj(value: number | null, file = '/proc/self/oom_score_adj'): OomResult {
  const read = () => Number(readFileSync(file, 'utf8').trim());
  if (value === null) return { requested: null, actual: read(), warning: null };
  try {
    writeFileSync(file, `${value}\n`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' || e.code === 'EPERM'
      ? ' (lowering oom_score_adj needs CAP_SYS_RESOURCE; set oom_score_adj = keep to silence this)' : '';
    return { requested: value, actual: read(), warning: `cannot set oom_score_adj to ${value}: ${e.code ?? e.message}${hint}` };
  }
  return { requested: value, actual: read(), warning: null };
}
