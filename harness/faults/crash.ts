// crash: SIGKILL the daemon (its whole process group: plugins too) and start it again after
// `restart_after` ("never": leave it dead). The new daemon registers with the kernel anew (the
// kernel drops the dead one's port when a send to it fails); records made in the gap wait in
// the kernel's hold queue up to backlog_limit, the rest are lost and counted. Nothing to undo on
// the host: the dead daemon's process record is dropped by kill(), the new one is tracked by the
// adapter like the first.
import { readProcStatus } from '../monitors/rss-cpu.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';

export const crash: FaultKindImpl = {
  endPriority: 9,
  async apply(spec, ctx) {
    if (spec.kind !== 'crash') throw new Error('wrong kind');
    const pid = ctx.daemon.pid();
    if (!pid) throw new FaultError(spec.kind, spec.index, 'the daemon is not running');
    const rssAtKill = readProcStatus(pid)?.rssBytes ?? null;
    await ctx.daemon.kill();
    let down = true;
    return {
      detail: { killedPid: pid, rssAtKillBytes: rssAtKill, restartAfterMs: spec.restart_after },
      daemonDown: () => down,
      async end() {
        if (spec.restart_after === 'never') return { restarted: false };
        const t0 = Date.now();
        await ctx.startDaemon();
        down = false;
        return { restarted: true, newPid: ctx.daemon.pid(), registerMs: Date.now() - t0 };
      },
    };
  },
};
