// freeze-fs: `fsfreeze -f` on the run's log filesystem (a loop mount of the run's own), thaw
// (`fsfreeze -u`) at the end. A write to a frozen filesystem sleeps uninterruptibly, even
// SIGKILL waits for the thaw: so the thaw comes first on every exit path (ended first by the
// timeline, undone before the daemon's process undo because it is tracked after it, and
// log-volume's undo thaws again before it unmounts). The effect is measured with a probe: a
// one-block O_DSYNC write to the filesystem, started once frozen, must still be waiting (state
// D) when the window ends, and completes after the thaw.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { host } from '../host/command.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';
import { procState } from './process-tree.ts';

export const freezeFs: FaultKindImpl = {
  endPriority: 0,
  async apply(spec, ctx, occurrence) {
    const vol = ctx.volume;
    if (!vol) throw new FaultError(spec.kind, spec.index, 'no log volume', 'the runner creates one when a scenario has a disk fault');
    const trackId = ctx.session.track('freeze-fs', `frozen ${vol.mountPoint}`, [{ op: 'thaw', path: vol.mountPoint }]);
    const t0 = Date.now();
    await host('fsfreeze', ['-f', vol.mountPoint], 60_000);
    const probeFile = join(vol.mountPoint, `.auditstorm-freeze-probe-${spec.index}-${occurrence}`);
    // it sleeps until the thaw, which every exit path does first; then it finishes by itself
    const probe = execa('dd', ['if=/dev/zero', `of=${probeFile}`, 'bs=4k', 'count=1', 'oflag=dsync'], { reject: false, stdin: 'ignore' });
    let probeDoneAt: number | null = null;
    void probe.then(() => { probeDoneAt = Date.now(); });
    return {
      detail: { mountPoint: vol.mountPoint, device: vol.device, freezeMs: Date.now() - t0 },
      async end() {
        const blockedFor = Date.now() - t0;
        const probeState = procState(probe.pid ?? 0);
        const doneBeforeThaw = probeDoneAt !== null;
        await ctx.session.undo(trackId);
        const r = await Promise.race([probe, new Promise<null>((res) => setTimeout(() => res(null), 10_000))]);
        rmSync(probeFile, { force: true });
        return { probeBlockedMs: doneBeforeThaw ? (probeDoneAt! - t0) : blockedFor, probeState, probeDoneBeforeThaw: doneBeforeThaw, probeDoneAfterThaw: r !== null && r.exitCode === 0 };
      },
      effect: (d) => {
        const measured = d.probeDoneBeforeThaw
          ? `a probe write completed ${String(d.probeBlockedMs)} ms after the freeze, before the thaw`
          : `a probe write waited ${String(d.probeBlockedMs)} ms (state ${String(d.probeState)}) until the thaw${d.probeDoneAfterThaw ? ', then completed' : ', and did not complete after it'}`;
        const ok = d.probeDoneBeforeThaw === false && d.probeDoneAfterThaw === true;
        return ok ? { ok, measured, expected: 'a write blocks until the thaw' }
          : { ok, measured, expected: 'a write blocks until the thaw', fix: d.probeDoneBeforeThaw ? 'the filesystem was thawed during the window (another freeze-fs window ending?)' : 'the filesystem stayed unusable after the thaw: see the kernel log' };
      },
    };
  },
};
