// crash: SIGKILL the daemon (its whole process group: plugins too) and start it again after
// `restart_after` ("never": leave it dead). The new daemon registers with the kernel anew (the
// kernel drops the dead one's port when a send to it fails); records made in the gap wait in
// the kernel's hold queue up to backlog_limit, the rest are lost and counted. Nothing to undo on
// the host: the dead daemon's process record is dropped by kill(), the new one is tracked by the
// adapter like the first.
import { readProcStatus } from '../monitors/rss-cpu.ts';
import { isAlive } from '../host/proc-identity.ts';
import { identity } from './process-tree.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';

export const crash: FaultKindImpl = {
  endPriority: 9,
  async apply(spec, ctx) {
    if (spec.kind !== 'crash') throw new Error('wrong kind');
    const pid = ctx.daemon.pid();
    if (!pid) throw new FaultError(spec.kind, spec.index, 'the daemon is not running');
    const rssAtKill = readProcStatus(pid)?.rssBytes ?? null;
    const killed = identity(pid);
    await ctx.daemon.kill();
    let down = true;
    return {
      detail: { killedPid: pid, rssAtKillBytes: rssAtKill, restartAfterMs: spec.restart_after },
      daemonDown: () => down,
      async end() {
        const killedGone = killed === null || !isAlive(killed);
        if (spec.restart_after === 'never') return { restarted: false, killedGone };
        const t0 = Date.now();
        await ctx.startDaemon();
        down = false;
        return { restarted: true, killedGone, newPid: ctx.daemon.pid(), registerMs: Date.now() - t0 };
      },
      effect: (d) => {
        const never = spec.restart_after === 'never';
        const expected = never ? 'the killed pid gone' : 'the killed pid gone, a new pid registered';
        const measured = `pid ${pid} ${d.killedGone ? 'gone' : 'still alive'}${never ? '' : `, new pid ${String(d.newPid ?? 'none')}${d.registerMs !== undefined ? ` after ${String(d.registerMs)} ms` : ''}`}`;
        const ok = d.killedGone === true && (never || (typeof d.newPid === 'number' && d.newPid !== pid));
        return ok ? { ok, measured, expected } : { ok, measured, expected, fix: d.killedGone ? 'the daemon did not come back: see daemon-output.txt' : 'SIGKILL did not end the daemon (stuck in D on a frozen filesystem?)' };
      },
    };
  },
};
