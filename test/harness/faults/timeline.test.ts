// The fault timeline's layout (pure): at, for, repeat, crash restarts, late start.
import t from 'tap';
import { planWindows } from '../../../harness/faults/timeline.ts';
import { faultSpec } from './host-context.ts';

t.test('windows from at/for/repeat, sorted by start', async (t) => {
  const stall = { ...faultSpec('{kind: stall-daemon, at: 2s, for: 1s, repeat: {every: 5s, times: 3}}'), index: 0 };
  const freeze = { ...faultSpec('{kind: freeze-fs, at: 3s, for: 500ms}'), index: 1 };
  const w = planWindows([stall, freeze]);
  t.same(w.map((x) => [x.spec.kind, x.occurrence, x.startAt, x.endAt]), [
    ['stall-daemon', 0, 2000, 3000], ['freeze-fs', 0, 3000, 3500], ['stall-daemon', 1, 7000, 8000], ['stall-daemon', 2, 12000, 13000],
  ]);
});

t.test('open-ended faults last until the run stops; crash lasts until its restart', async (t) => {
  const w = planWindows([
    { ...faultSpec('{kind: slow-disk, rate: 1MiB/s}'), index: 0 },
    { ...faultSpec('{kind: crash, at: 1s, restart_after: 2s}'), index: 1 },
    { ...faultSpec('{kind: crash, at: 4s, restart_after: never}'), index: 2 },
  ]);
  t.same(w.map((x) => [x.spec.kind, x.startAt, x.endAt]), [['slow-disk', 0, null], ['crash', 1000, 3000], ['crash', 4000, null]]);
});

t.test('late-start: from the release to the daemon start', async (t) => {
  const w = planWindows([{ ...faultSpec('{kind: late-start, at: 1500ms}'), index: 0 }]);
  t.same(w.map((x) => [x.startAt, x.endAt]), [[0, 1500]]);
});
