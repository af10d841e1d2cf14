// plugin-stall: SIGSTOP a dispatcher plugin of the daemon (the plugin's process and its
// descendants: a shell wrapper's `cat` would read on otherwise), SIGCONT at the end. The plugin
// is found among the daemon's children; `plugin: NAME` picks the one whose plugins.d/NAME.conf
// `path` appears in its command line. Undo: SIGCONT.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalAll, type ProcIdentity } from '../host/proc-identity.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';
import { childrenOf, cmdline, descendantsOf, identity, isStopped, procState, waitForStopped } from './process-tree.ts';
import { bytesRead } from './plugin-sink.ts';

function pluginPath(dir: string, name: string): string | null {
  const file = join(dir, `${name}.conf`);
  if (!existsSync(file)) return null;
  const m = /^\s*path\s*=\s*(\S+)/m.exec(readFileSync(file, 'utf8'));
  return m ? m[1]! : null;
}

export const pluginStall: FaultKindImpl = {
  endPriority: 1,
  async apply(spec, ctx) {
    if (spec.kind !== 'plugin-stall') throw new Error('wrong kind');
    const pid = ctx.daemon.pid();
    if (!pid) throw new FaultError(spec.kind, spec.index, 'the daemon is not running');
    // plugins start a moment after the daemon registers
    let children: number[] = [];
    for (let i = 0; i < 40 && children.length === 0; i++) {
      children = childrenOf(pid);
      if (!children.length) await new Promise((r) => setTimeout(r, 50));
    }
    let chosen = children;
    if (spec.plugin) {
      const path = ctx.pluginDir ? pluginPath(ctx.pluginDir, spec.plugin) : null;
      if (!path) throw new FaultError(spec.kind, spec.index, `no plugin '${spec.plugin}' in ${ctx.pluginDir ?? '(the daemon has no plugin dir)'}`, 'name a plugins.d conf file without .conf');
      chosen = children.filter((c) => cmdline(c).includes(path));
    }
    if (!chosen.length) {
      throw new FaultError(spec.kind, spec.index, `the daemon (pid ${pid}) has no ${spec.plugin ? `'${spec.plugin}' ` : ''}plugin process`,
        'configure a plugin (the runner adds auditstorm-sink when a scenario has a plugin-stall fault)');
    }
    const procs = chosen.flatMap((c) => [c, ...descendantsOf(c)]).map(identity).filter((p): p is ProcIdentity => p !== null);
    const trackId = ctx.session.track('plugin-stall', `SIGSTOPped plugin pid(s) ${procs.map((p) => p.pid).join(',')}`, [{ op: 'signal', procs, signal: 'SIGCONT' }]);
    signalAll(procs, 'SIGSTOP');
    // a plugin writing to a slow disk (state D) stops only when its write returns
    const { states, waitedMs } = await waitForStopped(procs.map((p) => p.pid));
    // the symptom: the plugin reads nothing while stopped
    const readNow = () => procs.reduce((a, p) => a + (bytesRead(p.pid) ?? 0), 0);
    const readAtStart = readNow();
    return {
      detail: { pids: procs.map((p) => p.pid), commands: chosen.map(cmdline), states, stoppedAfterMs: waitedMs, bytesReadAtStart: readAtStart },
      async end() {
        const readDuring = readNow() - readAtStart;
        await ctx.session.undo(trackId);
        return { bytesReadDuringStall: readDuring, statesAfter: procs.map((p) => procState(p.pid)) };
      },
      effect: (d) => {
        const states = (d.states as unknown[]) ?? [];
        const ok = states.length > 0 && states.every(isStopped) && d.bytesReadDuringStall === 0;
        const measured = `plugin state(s) ${states.join(',')}, ${String(d.bytesReadDuringStall)} bytes read during the stall`;
        return ok ? { ok, measured, expected: 'stopped (T), 0 bytes read' }
          : { ok, measured, expected: 'stopped (T), 0 bytes read', fix: 'the plugin kept reading: pick it with `plugin: NAME`, or check that it does not fork a reader outside its process tree' };
      },
    };
  },
};
