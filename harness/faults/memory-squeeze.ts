// memory-squeeze: lower the daemon's cgroup memory limit live to `memory_limit`, put it back at
// the end. On cgroup v1 the kernel refuses (EBUSY) a limit it cannot reclaim down to: we then
// bisect between the target and the last limit it accepted and record the lowest one reached.
// On v2 the limit always takes and the kernel reclaims or OOM-kills inside the group. Undo:
// the original limit back.
import { join } from 'node:path';
import { CgroupError } from '../host/cgroup-fs.ts';
import type { UndoStep } from '../host/undo-steps.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';

/** The undo: the limit as found (null: none) written back. */
function restoreLimit(version: 1 | 2, memoryDir: string, limitBytes: number | null): UndoStep[] {
  if (version === 2) return [{ op: 'write', path: join(memoryDir, 'memory.max'), value: limitBytes === null ? 'max' : String(limitBytes), ifExists: true }];
  const lim = limitBytes === null ? '-1' : String(limitBytes);
  // raising: memory+swap first (it must never be under the memory limit), then memory
  return [
    { op: 'write', path: join(memoryDir, 'memory.memsw.limit_in_bytes'), value: lim, ifExists: true },
    { op: 'write', path: join(memoryDir, 'memory.limit_in_bytes'), value: lim, ifExists: true },
  ];
}

const STEP_BYTES = 1024 * 1024;
/** a limit this close above the group's usage pins it: any growth meets the limit */
const PINNED_SLACK = 1.1;

/** In effect: the target limit was reached, or the kernel's refusal left the group pinned at its usage. */
export function squeezeEffect(d: Record<string, unknown>): { ok: boolean; measured: string; expected: string; fix?: string } {
  const m = (b: unknown) => typeof b === 'number' ? `${(b / 1048576).toFixed(1)} MiB` : 'none';
  const reached = typeof d.reachedBytes === 'number' ? d.reachedBytes : null;
  const target = Number(d.targetBytes);
  const usage = Number(d.usageAtStartBytes);
  const original = typeof d.originalBytes === 'number' ? d.originalBytes : Number.MAX_SAFE_INTEGER;
  const measured = `limit ${m(reached)} (asked ${m(target)}, was ${m(d.originalBytes)}), usage ${m(usage)} at the start, ${m(d.usageAtEndBytes)} at the end`;
  const expected = `limit <= ${m(target)}, or pinned within ${PINNED_SLACK} x the usage`;
  if (reached !== null && reached <= target) return { ok: true, measured, expected };
  if (reached !== null && reached < original && reached <= usage * PINNED_SLACK) return { ok: true, measured: `${measured}: pinned at the usage`, expected };
  return { ok: false, measured, expected, fix: `the kernel refused limits under ${m(reached)} (it could not reclaim the group's memory, e.g. anonymous memory without swap): ask for a memory_limit of at least ${m(reached)}` };
}

export const memorySqueeze: FaultKindImpl = {
  endPriority: 2,
  async apply(spec, ctx) {
    if (spec.kind !== 'memory-squeeze') throw new Error('wrong kind');
    const cg = ctx.cgroup;
    const original = cg.memoryUsage().limitBytes;
    const trackId = ctx.session.track('memory-squeeze', `memory limit of ${cg.name} (was ${original ?? 'none'})`, restoreLimit(cg.version, cg.dirs.memory, original));
    const target = spec.memory_limit;
    const usage = cg.memoryUsage().usageBytes;
    let accepted = original ?? Number.MAX_SAFE_INTEGER;
    let refusedAbove = target - 1; // the highest limit the kernel refused
    let tries = 0;
    let attempt = target;
    // bisect: the target first, then halfway between what was refused and what was accepted
    while (tries < 16) {
      tries++;
      try {
        cg.setMemoryLimit(attempt);
        accepted = attempt;
        if (attempt === target) break;
      } catch (err) {
        if (!(err instanceof CgroupError) || err.code !== 'EBUSY') {
          await ctx.session.undo(trackId);
          throw new FaultError(spec.kind, spec.index, (err as Error).message);
        }
        refusedAbove = attempt;
      }
      // no limit before: the usage bounds what the kernel will surely accept
      const upper = accepted === Number.MAX_SAFE_INTEGER ? Math.max(usage * 2, target) : accepted;
      if (upper - refusedAbove <= STEP_BYTES) break;
      attempt = Math.ceil((refusedAbove + upper) / 2 / 4096) * 4096;
      if (attempt >= accepted) break;
    }
    const reached = cg.memoryUsage().limitBytes;
    return {
      detail: { targetBytes: target, reachedBytes: reached, originalBytes: original, usageAtStartBytes: usage, attempts: tries, reachedTarget: reached === target },
      async end() {
        const u = cg.memoryUsage();
        await ctx.session.undo(trackId);
        return { usageAtEndBytes: u.usageBytes, limitAtEndBytes: u.limitBytes, oomKillsInGroup: u.oomKills, limitAfterBytes: cg.memoryUsage().limitBytes };
      },
      effect: (d) => squeezeEffect(d),
    };
  },
};
