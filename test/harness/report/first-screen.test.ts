// The first screen's answer from summary.json alone: each part of the bar from its own figure,
// unexpected events left out of the bar, figures that do not add up shown as their own part, and
// the sentence's memory half judged on the figure the peak-RSS assertion used.
import t from 'tap';
import { breakdownOf, firstSentence, memoryOf } from '../../../harness/report/first-screen.ts';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';

const MIB = 1048576;
function summary(events: Record<string, unknown>, peak = { ok: true, actual: 90 * MIB, limit: 100 * MIB }, oomKills = 0): RunSummary {
  return {
    assertions: [{ name: 'peak RSS under its bound', ...peak }],
    metrics: { peakRssBytes: 80 * MIB, oomKills, kernel: { lost: 0 }, daemonDropped: null, events },
  } as unknown as RunSummary;
}
const lost = (o: Partial<Record<string, number | null>> = {}) => ({ kernelCounted: 0, kernelDropped: 0, kernelDroppedUnattributed: 0, daemonDropped: null, daemonNotWritten: null, ...o });

t.test('each part from its own figure, adding up to generated', async (t) => {
  const b = breakdownOf(summary({ generated: 1000, logged: 900, unexpected: 0, silentLoss: 20, lost: lost({ kernelCounted: 50, kernelDropped: 30, daemonDropped: 10, daemonNotWritten: 5 }) }))!;
  t.same(b.segments.map((x) => [x.key, x.value]), [['logged', 900], ['kernelCounted', 35], ['kernelIdentified', 30], ['daemon', 15], ['silent', 20]]);
  t.equal(b.segments.reduce((a, x) => a + x.value, 0), 1000);
});

t.test('unexpected events are not part of the generated bar', async (t) => {
  const b = breakdownOf(summary({ generated: 1000, logged: 1010, unexpected: 20, silentLoss: 10, lost: lost() }))!;
  t.equal(b.segments.find((x) => x.key === 'logged')!.value, 990);
  t.equal(b.segments.find((x) => x.key === 'silent')!.value, 10);
  t.equal(b.segments.reduce((a, x) => a + x.value, 0), 1000);
});

t.test('figures that do not add up show the difference, they are not hidden', async (t) => {
  // 100 missing, 10 named, counters explain at most 5, silentLoss claims 0: 85 are in no figure
  const b = breakdownOf(summary({ generated: 1000, logged: 900, unexpected: 0, silentLoss: 0, lost: lost({ kernelCounted: 5, kernelDropped: 10 }) }))!;
  t.same(b.segments.find((x) => x.key === 'unexplained')?.value, 85);
  t.match(firstSentence(summary({ generated: 1000, logged: 900, unexpected: 0, silentLoss: 0, lost: lost({ kernelCounted: 5, kernelDropped: 10 }) })), /85 in no figure of summary\.json/);
});

t.test('the older summary shape', async (t) => {
  const s = summary({ generated: 100, logged: 90, unexpected: 0, silentLoss: 2, accountedLoss: 8, kernelPrintkDropped: 5 });
  (s.metrics.kernel as { lost: number }).lost = 3;
  const b = breakdownOf(s)!;
  t.equal(b.shape, 'accountedLoss');
  t.same(b.segments.map((x) => [x.key, x.value]), [['logged', 90], ['kernelCounted', 3], ['kernelIdentified', 5], ['daemon', 0], ['silent', 2]]);
  t.equal(b.daemon, null, 'no daemon counter: none reported');
});

t.test('the memory half', async (t) => {
  const e = { generated: 10, logged: 10, unexpected: 0, silentLoss: 0, lost: lost() };
  t.match(firstSentence(summary(e)), /^Memory stayed bounded: peak 90\.0 MiB \(RSS 80\.0 MiB plus what the daemon had not read from its socket\) under its bound of 100\.0 MiB, no OOM kill; nothing was lost/);
  t.match(firstSentence(summary(e, { ok: false, actual: 120 * MIB, limit: 100 * MIB })), /^Memory was NOT bounded: peak 120\.0 MiB .* over its bound of 100\.0 MiB, no OOM kill/);
  t.match(firstSentence(summary(e, undefined, 2)), /^Memory was NOT bounded: .* stayed under its bound of 100\.0 MiB, but there were 2 OOM kills/);
  t.equal(memoryOf(summary(e))!.bounded, true);
  t.match(firstSentence(null), /No summary\.json/);
});
