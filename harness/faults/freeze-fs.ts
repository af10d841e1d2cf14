// freeze-fs: `fsfreeze -f` on the run's log filesystem (a loop mount of the run's own), thaw
// (`fsfreeze -u`) at the end. A write to a frozen filesystem sleeps uninterruptibly, even
// SIGKILL waits for the thaw: so the thaw comes first on every exit path (ended first by the
// timeline, undone before the daemon's process undo because it is tracked after it, and
// log-volume's undo thaws again before it unmounts).
import { defineUndo } from '../host/undo-registry.ts';
import { host, hostQuiet } from './command.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';
import { isMounted } from './log-volume.ts';

export interface FreezeUndo { mountPoint: string }

defineUndo('freeze-fs', async (d: FreezeUndo) => {
  // "Invalid argument" when not frozen: already thawed is fine
  if (isMounted(d.mountPoint)) await hostQuiet('fsfreeze', ['-u', d.mountPoint]);
});

export const freezeFs: FaultKindImpl = {
  endPriority: 0,
  async apply(spec, ctx) {
    const vol = ctx.volume;
    if (!vol) throw new FaultError(spec.kind, spec.index, 'no log volume', 'the runner creates one when a scenario has a disk fault');
    const trackId = ctx.session.track('freeze-fs', `frozen ${vol.mountPoint}`, { mountPoint: vol.mountPoint } satisfies FreezeUndo);
    const t0 = Date.now();
    await host('fsfreeze', ['-f', vol.mountPoint], 60_000);
    return {
      detail: { mountPoint: vol.mountPoint, device: vol.device, freezeMs: Date.now() - t0 },
      async end() {
        await host('fsfreeze', ['-u', vol.mountPoint]);
        ctx.session.untrack(trackId);
      },
    };
  },
};
