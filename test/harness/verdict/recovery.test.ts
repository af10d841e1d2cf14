// Recovery figures from samples: time back under the levels, loss during vs after, RSS peak.
import t from 'tap';
import { analyseRecovery, recoveryAssertions } from '../../../harness/verdict/recovery.ts';
import type { MetricsSample } from '../../../harness/metrics/metrics-types.ts';

function sample(t: number, backlog: number, lost: number, rss: number, queue: number | null = null): MetricsSample {
  return {
    t, ts: t, pid: 1, rss, hwm: rss, rssAll: rss, cpu: 0, cpuSec: 0, cgroup: null,
    kernel: { backlog, lost, waitActualMs: 0, backlogLimit: 1000, ageMs: 0 }, memAvailable: null,
    daemon: queue === null ? null : { queue: { records: queue } } as never, load: { eventsPerSec: 0, total: 0 },
  };
}

// backlog fills during 1000..2000, drains by 2500; 50 lost during, 0 after
const samples: MetricsSample[] = [];
for (let t = 0; t <= 5000; t += 100) {
  const backlog = t < 1000 ? 5 : t <= 2000 ? 1000 : t < 2500 ? 500 : 5;
  const lost = t < 1000 ? 0 : t <= 2000 ? Math.round((t - 1000) / 20) : 50;
  samples.push(sample(t, backlog, lost, t >= 1000 && t <= 2000 ? 50_000_000 : 30_000_000, t >= 1000 && t < 2300 ? 5000 : 0));
}

t.test('a stall that recovers', async (t) => {
  const [r] = analyseRecovery([{ kind: 'stall-daemon', index: 0, occurrence: 0, startMs: 1000, endMs: 2000 }], samples, { backlogLimit: 1000 });
  t.equal(r!.recoveryMs, 500, 'backlog under 100 and queue under 1000 at 2500');
  t.equal(r!.lostDuring, 50);
  t.equal(r!.lostAfter, 0);
  t.equal(r!.rssPeakDuringBytes, 50_000_000);
  t.equal(r!.backlogPeakDuring, 1000);
  t.notOk(r!.saturatedBefore);
  const a = recoveryAssertions([r!], { backlogLimit: 1000, rssLimitBytes: 40_000_000 });
  t.same(a.map((x) => [x.name, x.ok]), [
    ['recovery after stall-daemon#0', true], ['loss did not outlast stall-daemon#0', true], ['RSS during stall-daemon#0', false],
  ]);
});

t.test('never recovering, and a too-short limit, fail', async (t) => {
  const stuck = samples.map((s) => (s.t > 1000 ? { ...s, kernel: { ...s.kernel!, backlog: 1000 } } : s));
  const [r] = analyseRecovery([{ kind: 'freeze-fs', index: 1, occurrence: 0, startMs: 1000, endMs: 2000 }], stuck, { backlogLimit: 1000 });
  t.equal(r!.recoveryMs, null);
  t.notOk(recoveryAssertions([r!], { backlogLimit: 1000 })[0]!.ok);
  const [r2] = analyseRecovery([{ kind: 'x', index: 0, occurrence: 0, startMs: 1000, endMs: 2000 }], samples, { backlogLimit: 1000 });
  t.notOk(recoveryAssertions([r2!], { backlogLimit: 1000, recoveryMaxMs: 200 })[0]!.ok, '500 ms > 200 ms');
});

t.test('saturated before the fault: nothing to recover to', async (t) => {
  const sat = samples.map((s) => ({ ...s, kernel: { ...s.kernel!, backlog: 1000 } }));
  const [r] = analyseRecovery([{ kind: 'crash', index: 0, occurrence: 0, startMs: 2000, endMs: 3000 }], sat, { backlogLimit: 1000 });
  t.ok(r!.saturatedBefore);
  t.equal(recoveryAssertions([r!], { backlogLimit: 1000 })[0]!.actual, 'n/a');
});

t.test('loss that goes on after the fault fails', async (t) => {
  const leaking = samples.map((s) => (s.t > 2000 ? { ...s, kernel: { ...s.kernel!, lost: 50 + (s.t - 2000) } } : s));
  const [r] = analyseRecovery([{ kind: 'stall-daemon', index: 0, occurrence: 0, startMs: 1000, endMs: 2000 }], leaking, { backlogLimit: 1000 });
  t.ok(r!.lostAfterPerSec > r!.lostDuringPerSec);
  t.notOk(recoveryAssertions([r!], { backlogLimit: 1000 })[1]!.ok);
});
