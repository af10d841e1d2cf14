// disk-full: fill the run's log filesystem (a size-limited loop mount of the run's own, made
// without a root reserve) with a preallocated filler file leaving `leave` bytes free; delete the
// filler at the end. The daemon's next writes meet ENOSPC (what it then does, suspend, drop or
// exit, is what the scenario measures). Undo: delete the filler.
import { join } from 'node:path';
import { host } from '../host/command.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';

const FILL_ROUNDS = 4;
/** free space above `leave` that still counts as full (ext4's last partial extents) */
const FULL_SLACK_BYTES = 1024 * 1024;
const fillerParts = (filler: string) => Array.from({ length: FILL_ROUNDS }, (_, i) => `${filler}.${i}`);

export const diskFull: FaultKindImpl = {
  endPriority: 2,
  async apply(spec, ctx, occurrence) {
    if (spec.kind !== 'disk-full') throw new Error('wrong kind');
    const vol = ctx.volume;
    if (!vol) throw new FaultError(spec.kind, spec.index, 'no log volume', 'the runner creates one when a scenario has a disk fault');
    const filler = join(vol.mountPoint, `auditstorm-filler-${spec.index}-${occurrence}`);
    const trackId = ctx.session.track('disk-full', `filler ${filler}`, fillerParts(filler).map((path) => ({ op: 'remove', path })));
    const freeBefore = vol.freeBytes();
    // fallocate: blocks reserved at once without writing them (the loop image stays sparse);
    // a few rounds because the daemon keeps writing while we fill
    for (const part of fillerParts(filler)) {
      const fill = vol.freeBytes() - spec.leave;
      if (fill < 4096) break;
      await host('fallocate', ['-l', String(fill - (fill % 4096)), part]).catch(async () => {
        // nearly full: fallocate may refuse its own size; a smaller piece still closes the gap
        await host('fallocate', ['-l', String(Math.max(4096, Math.floor(fill / 2 / 4096) * 4096)), part]).catch(() => undefined);
      });
    }
    const freeAfter = vol.freeBytes();
    return {
      detail: { mountPoint: vol.mountPoint, freeBeforeBytes: freeBefore, freeAfterBytes: freeAfter, leaveBytes: spec.leave },
      async end() {
        const freeBeforeEnd = vol.freeBytes();
        await ctx.session.undo(trackId);
        return { freeBeforeEndBytes: freeBeforeEnd, freeAtEndBytes: vol.freeBytes() };
      },
      effect: (d) => {
        const limit = spec.leave + FULL_SLACK_BYTES;
        const free = Math.max(Number(d.freeAfterBytes), Number(d.freeBeforeEndBytes ?? 0));
        const measured = `free ${String(d.freeAfterBytes)} B after filling, ${String(d.freeBeforeEndBytes)} B at the end`;
        return free <= limit
          ? { ok: true, measured, expected: `free <= leave + ${FULL_SLACK_BYTES} B` }
          : { ok: false, measured, expected: `free <= leave + ${FULL_SLACK_BYTES} B`, fix: 'the filler could not take the space (fallocate refused?): see the run\'s warnings' };
      },
    };
  },
};
