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
      effect: (d) => typeof d.pid === 'number'
        ? { ok: true, measured: `no daemon until the window's end, then pid ${d.pid} registered in ${String(d.registerMs)} ms`, expected: 'the daemon down, then registered' }
        : { ok: false, measured: 'no daemon after the window', expected: 'the daemon down, then registered', fix: 'the daemon did not start: see daemon-output.txt' },
    };
  },
};
