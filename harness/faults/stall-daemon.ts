// stall-daemon: SIGSTOP the daemon (every thread: it stops reading netlink, writing and
// dispatching), SIGCONT at the end of the window. Undo (abort, reset): SIGCONT, before any kill.
import { signalAll } from '../host/proc-identity.ts';
import { FaultError, type FaultContext, type FaultKindImpl, type FaultSpec } from './fault-types.ts';
import { identity, isStopped, procState, STOP_WAIT_MS, waitForStopped } from './process-tree.ts';

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
    // the symptom: the process is in state T, once a system call it is in (state D) returns
    const { states: [state], waitedMs } = await waitForStopped([id.pid]);
    return {
      detail: { pid: id.pid, state, stoppedAfterMs: waitedMs, ...(target.name ? { process: target.name } : {}) },
      async end() {
        const stateAtEnd = procState(id.pid);
        await ctx.session.undo(trackId);
        return { stateAtEnd, stateAfter: procState(id.pid) };
      },
      effect: (d) => {
        const measured = `pid ${id.pid} state ${String(d.state)} ${String(d.stoppedAfterMs)} ms after SIGSTOP, ${String(d.stateAtEnd)} at the end`;
        const expected = 'state T (stopped) from the start to the end';
        if (isStopped(d.state) && isStopped(d.stateAtEnd)) return { ok: true, measured, expected };
        const fix = d.state === 'D'
          ? `it stayed in a system call that does not stop for signals (state D: a write or fsync on a slow disk) for the ${STOP_WAIT_MS} ms waited: look at the disk under it`
          : 'something continued the daemon (SIGCONT) or it exited: check the faults around this window';
        return { ok: false, measured, expected, fix };
      },
    };
  },
};
