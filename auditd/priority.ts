// priority_boost for the whole daemon, as auditd applies it to its one thread: auditd reads,
// formats and writes at nice -4, so on a busy machine its log lines are written as soon as it
// reads them. tsauditd's input thread boosts itself (native boostThread); this boosts the rest
// (main thread: formatting and the write; libuv's pool: the write and fsync calls; V8's threads).
// Linux keeps a nice value per thread, and a thread inherits its creator's, so threads started
// later (the pool grows on demand, plugins) start boosted.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export interface BoostResult {
  /** threads whose nice value was lowered */
  boosted: number;
  /** the first failure (lowering a nice value needs CAP_SYS_NICE), or null */
  error: string | null;
}

/** Lower the nice value of every thread of this process but `skip` by `n` (at most to -20). */
export function boostThreads(n: number, skip: number, taskDir = '/proc/self/task'): BoostResult {
  const out: BoostResult = { boosted: 0, error: null };
  if (n <= 0) return out;
  let tids: number[];
  try {
    tids = readdirSync(taskDir).map(Number).filter((t) => Number.isInteger(t) && t > 0 && t !== skip);
  } catch (err) {
    return { boosted: 0, error: (err as Error).message };
  }
  for (const tid of tids) {
    try {
      setPriority(tid, Math.max(-20, getPriority(tid) - n));
      out.boosted++;
    } catch (err) {
      // a thread that exited meanwhile is no failure
      if ((err as { info?: { code?: string } }).info?.code === 'ESRCH') continue;
      out.error ??= (err as Error).message;
    }
  }
  return out;
}
