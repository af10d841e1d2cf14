// late-start: the daemon starts `at` after the loads were released (the boot burst). Its window
// runs from the load's release to the daemon's registration; until then the kernel holds up to
// backlog_limit records for it and counts the rest lost. The runner skips the daemon's normal
// start when a scenario has this fault. Nothing to undo on the host (the daemon, once started,
// is tracked by its adapter).
import { readProcStatus } from '../monitors/rss-cpu.ts';
import type { FaultKindImpl } from './fault-types.ts';

export const lateStart: FaultKindImpl = {
  endPriority: 9,
  async apply(_spec, ctx) {
    let down = true;
    return {
      detail: {},
      daemonDown: () => down,
      async end() {
        const t0 = Date.now();
        await ctx.startDaemon();
        down = false;
        const pid = ctx.daemon.pid();
        return { pid, registerMs: Date.now() - t0, rssAtStartBytes: pid ? readProcStatus(pid)?.rssBytes ?? null : null };
      },
    };
  },
};
