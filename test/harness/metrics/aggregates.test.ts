// Running aggregates from synthetic samples (pure logic).
import t from 'tap';
import { CounterDelta, RunAggregates } from '../../../harness/metrics/aggregates.ts';
import type { MetricsSample } from '../../../harness/metrics/metrics-types.ts';

const sample = (t: number, over: Partial<MetricsSample> = {}): MetricsSample => ({
  t, ts: 1_700_000_000_000 + t, pid: 10, rss: 1000, hwm: 1000, rssAll: 1000, cpu: 5, cpuSec: t / 1000 * 0.05,
  cgroup: { usage: 2000, peak: 2000, limit: 4000, oomKills: 0, throttledUs: null },
  kernel: { backlog: 0, lost: 0, waitActualMs: 0, backlogLimit: 64, ageMs: 1 },
  memAvailable: 1e9, daemon: null, load: { eventsPerSec: 100, total: t }, ...over,
});

t.test('counter deltas survive resets', async (t) => {
  const c = new CounterDelta();
  for (const v of [5, 7, 7, 2, 4]) c.push(v);
  t.equal(c.delta, 2 + 0 + 2 + 2, 'reset to 2 counts as +2');
  t.equal(c.first, 5);
  t.equal(c.last, 4);
});

t.test('peaks, slope after warm-up, kernel deltas, restarts, victims', async (t) => {
  const a = new RunAggregates(1000);
  for (let i = 0; i <= 50; i++) {
    const ms = i * 100;
    a.addSample(sample(ms, {
      // flat warm-up spike, then a 1000 B/s leak
      rss: ms < 1000 ? 9000 : 1000 + ms,
      kernel: { backlog: i === 20 ? 640 : 3, lost: 100 + i, waitActualMs: i * 4, backlogLimit: 64, ageMs: 1 },
      pid: ms < 3000 ? 10 : 11,
      cpuSec: ms < 3000 ? ms / 1000 : (ms - 3000) / 1000,
      cgroup: { usage: 10, peak: 10 + i, limit: 4000, oomKills: i >= 40 ? 1 : 0, throttledUs: null },
      memAvailable: 1e9 - i,
    }));
  }
  a.addEvent({ t: 4000, ts: 0, event: 'oom-kill', pid: 99, name: 'bystander-0', memcg: '/auditstorm-x', ours: true });
  a.addEvent({ t: 4001, ts: 0, event: 'backlog-limit' });
  const s = a.summary();
  t.equal(s.samples, 51);
  t.equal(s.peakRssBytes, 9000, 'peak includes warm-up');
  t.ok(Math.abs(s.rssSlopeBytesPerSec! - 1000) < 1e-6, `slope after warm-up ${s.rssSlopeBytesPerSec}`);
  t.equal(s.kernel.backlogMax, 640);
  t.equal(s.kernel.lost, 50);
  t.equal(s.kernel.waitActualMs, 200);
  t.equal(s.cgroup.oomKills, 1);
  t.equal(s.cgroup.peakBytes, 60);
  t.same(s.daemon.pids, [10, 11], 'restart followed');
  t.ok(Math.abs(s.cpu.seconds - 4.9) < 0.01, `cpu seconds across the restart ${s.cpu.seconds}`);
  t.equal(s.memAvailableMinBytes, 1e9 - 50);
  t.same(s.events, { 'oom-kill': 1, 'backlog-limit': 1 });
  t.same(s.oomVictims, [{ t: 4000, pid: 99, name: 'bystander-0', memcg: '/auditstorm-x', ours: true }]);
  t.equal(s.load.total, 5000);
});

t.test('CPU seconds: start-up before the window is not the run\'s; a process started in it counts whole', async (t) => {
  // a daemon that spent 0.8 s starting, then 0.1 s per second over 3 s of window
  const before = new RunAggregates(0);
  for (let i = 0; i <= 30; i++) before.addSample(sample(i * 100, { cpuSec: 0.8 + i * 0.01 }));
  t.ok(Math.abs(before.summary().cpu.seconds - 0.3) < 1e-9, `0.3 s in the window, not 1.1 (${before.summary().cpu.seconds})`);
  // late start: no daemon at the first samples, then one that starts inside the window
  const late = new RunAggregates(0);
  for (let i = 0; i < 5; i++) late.addSample(sample(i * 100, { pid: null, cpuSec: null }));
  for (let i = 0; i <= 10; i++) late.addSample(sample(500 + i * 100, { pid: 12, cpuSec: 0.2 + i * 0.01 }));
  t.ok(Math.abs(late.summary().cpu.seconds - 0.3) < 1e-9, `its start-up is inside the window (${late.summary().cpu.seconds})`);
});
