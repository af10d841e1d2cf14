// crash: SIGKILL the daemon (its whole process group: plugins too) and start it again after
// `restart_after` ("never": leave it dead). The new daemon registers with the kernel anew (the
// kernel drops the dead one's port when a send to it fails); records made in the gap wait in
// the kernel's hold queue up to backlog_limit, the rest are lost and counted. Nothing to undo on
// the host: the dead daemon's process record is dropped by kill(), the new one is tracked by the
// adapter like the first.
import { readProcStatus } from '../monitors/rss-cpu.ts';
import { isAlive } from '../host/proc-identity.ts';
import { identity } from './process-tree.ts';
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
    effect: (d) => {
      const measured = `${target.name} pid ${killed} killed; ${d.restarted ? `its supervisor restarted it as pid ${String(d.newPid)}` : 'not restarted'}`;
      // whether the supervisor restarts it is the daemon's business: the kill is the fault
      return { ok: !isAlive({ pid: killed, startTime: 0 }) || d.newPid !== killed, measured, expected: 'the named process killed' };
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
