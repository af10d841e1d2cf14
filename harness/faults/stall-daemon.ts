// stall-daemon: SIGSTOP the daemon (every thread: it stops reading netlink, writing and
// dispatching), SIGCONT at the end of the window. Undo (abort, reset): SIGCONT, before any kill.
import { signalAll } from '../host/proc-identity.ts';
import { FaultError, type FaultContext, type FaultKindImpl, type FaultSpec } from './fault-types.ts';
import { identity, procState } from './process-tree.ts';

/** The fault's target: the registered daemon, or a process the command daemon names (process:). */
export function targetProcess(spec: FaultSpec, ctx: FaultContext): { pid: number | null; what: string; name: string | null } {
  const name = 'process' in spec && spec.process ? spec.process : null;
  if (!name) return { pid: ctx.daemon.pid(), what: 'daemon', name: null };
  return { pid: ctx.daemon.processPid?.(name) ?? null, what: `process "${name}" (daemon.processes)`, name };
}

export const stallDaemon: FaultKindImpl = {
  endPriority: 1,
  async apply(spec, ctx) {
    const target = targetProcess(spec, ctx);
    const pid = target.pid;
    const id = pid ? identity(pid) : null;
    if (!id) throw new FaultError(spec.kind, spec.index, `the ${target.what} is not running`, 'a stall needs a live process: check the crash/late-start faults around it');
    const trackId = ctx.session.track('stall-daemon', `SIGSTOPped ${target.what} pid ${id.pid}`, [{ op: 'signal', procs: [id], signal: 'SIGCONT' }]);
    signalAll([id], 'SIGSTOP');
    // the symptom: the process is in state T
    let state = procState(id.pid);
    for (let i = 0; i < 20 && state !== 'T' && state !== 't'; i++) { await new Promise((r) => setTimeout(r, 5)); state = procState(id.pid); }
    return {
      detail: { pid: id.pid, state, ...(target.name ? { process: target.name } : {}) },
      async end() {
        const stateAtEnd = procState(id.pid);
        await ctx.session.undo(trackId);
        return { stateAtEnd, stateAfter: procState(id.pid) };
      },
      effect: (d) => {
        const stopped = (s: unknown) => s === 'T' || s === 't';
        const measured = `pid ${id.pid} state ${String(d.state)} at the start, ${String(d.stateAtEnd)} at the end`;
        return stopped(d.state) && stopped(d.stateAtEnd)
          ? { ok: true, measured, expected: 'state T (stopped) throughout' }
          : { ok: false, measured, expected: 'state T (stopped) throughout', fix: 'something continued the daemon (SIGCONT) or it exited: check the faults around this window' };
      },
    };
  },
};
