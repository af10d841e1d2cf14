// cpu-starve: cap the daemon's cgroup to `cpu` cores with the CFS quota (cpu.cfs_quota_us on
// v1, cpu.max on v2), lift the cap at the end. The measured symptom is the cgroup's throttled
// periods. Undo: remove the quota.
import { join } from 'node:path';
import { FaultError, type FaultKindImpl } from './fault-types.ts';


export const cpuStarve: FaultKindImpl = {
  endPriority: 2,
  async apply(spec, ctx) {
    if (spec.kind !== 'cpu-starve') throw new Error('wrong kind');
    const cpuDir = ctx.cgroup.dirs.cpu;
    if (!cpuDir) throw new FaultError(spec.kind, spec.index, 'this host has no cpu controller for the run cgroup', 'mount cpu (v1) or enable +cpu (v2)');
    const v1 = ctx.cgroup.version === 1;
    // no quota: -1 (v1), max (v2, with the default period)
    const trackId = ctx.session.track('cpu-starve', `cpu quota ${spec.cpu} cores on ${cpuDir}`, [
      { op: 'write', path: join(cpuDir, v1 ? 'cpu.cfs_quota_us' : 'cpu.max'), value: v1 ? '-1' : 'max 100000', ifExists: true },
    ]);
    const before = ctx.cgroup.cpuThrottle();
    ctx.cgroup.setCpuQuota(spec.cpu);
    return {
      detail: { cores: spec.cpu, cpuDir },
      async end() {
        const after = ctx.cgroup.cpuThrottle();
        await ctx.session.undo(trackId);
        return before && after ? {
          periods: after.periods - before.periods,
          throttledPeriods: after.throttledPeriods - before.throttledPeriods,
          throttledMs: Math.round((after.throttledUs - before.throttledUs) / 1000),
        } : {};
      },
      effect: (d) => {
        const measured = d.throttledPeriods === undefined ? 'cpu.stat unreadable' : `throttled ${String(d.throttledPeriods)} of ${String(d.periods)} periods, ${String(d.throttledMs)} ms`;
        return Number(d.throttledPeriods ?? 0) > 0
          ? { ok: true, measured, expected: 'throttled periods > 0' }
          : { ok: false, measured, expected: 'throttled periods > 0', fix: `the daemon never used up ${spec.cpu} core(s) during the window: raise the load or lower cpu` };
      },
    };
  },
};
