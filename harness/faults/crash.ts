// crash: SIGKILL the daemon (its whole process group: plugins too) and start it again after
// `restart_after` ("never": leave it dead). The new daemon registers with the kernel anew (the
// kernel drops the dead one's port when a send to it fails); records made in the gap wait in
// the kernel's hold queue up to backlog_limit, the rest are lost and counted. Nothing to undo on
// the host: the dead daemon's process record is dropped by kill(), the new one is tracked by the
// adapter like the first.
import { readProcStatus } from '../monitors/rss-cpu.ts';
import { FaultError, type AppliedFault, type FaultContext, type FaultKindImpl, type FaultSpec } from './fault-types.ts';
import { targetProcess } from './stall-daemon.ts';

/** A named process of a command daemon's setup (process:): SIGKILL it alone; its supervisor (the
 *  daemon's own wrapper) restarts it or not; the end records the pid its pid file then names. */
async function crashNamedProcess(spec: FaultSpec, ctx: FaultContext): Promise<AppliedFault> {
  const target = targetProcess(spec, ctx);
  if (!target.pid) throw new FaultError(spec.kind, spec.index, `the ${target.what} is not running`);
  const rssAtKill = readProcStatus(target.pid)?.rssBytes ?? null;
  try { process.kill(target.pid, 'SIGKILL'); } catch { /* gone already */ }
  const killed = target.pid;
  return {
    detail: { process: target.name, killedPid: killed, rssAtKillBytes: rssAtKill, restartedBy: 'the daemon\'s own supervisor' },
    async end() {
      const now = targetProcess(spec, ctx).pid;
      return { restarted: now !== null && now !== killed, newPid: now };
    },
  };
}

export const crash: FaultKindImpl = {
  endPriority: 9,
  async apply(spec, ctx) {
    if (spec.kind !== 'crash') throw new Error('wrong kind');
    if (spec.process) return crashNamedProcess(spec, ctx);
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
