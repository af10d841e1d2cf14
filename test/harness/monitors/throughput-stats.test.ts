// Load throughput from cumulative generator counts, and the daemon stats file reader.
import t from 'tap';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ThroughputMonitor } from '../../../harness/monitors/throughput.ts';
import { DaemonStatsMonitor } from '../../../harness/monitors/daemon-stats.ts';

t.test('events per second over the last second, several generators', async (t) => {
  const m = new ThroughputMonitor();
  t.same(m.sample(0), { eventsPerSec: 0, total: 0 });
  for (let ms = 100; ms <= 3000; ms += 100) {
    m.report('a', ms * 2); // 2000/s
    m.report('b', ms * 3); // 3000/s
    m.report('b', 1); // a stale, lower figure is ignored
    const s = m.sample(ms);
    if (ms >= 1000) t.equal(s.eventsPerSec, 5000, `at ${ms} ms`);
  }
  m.add(10);
  t.equal(m.totalEvents, 6000 + 9000 + 10);
  // load stops: the rate falls to 0 within a window
  for (let ms = 3100; ms <= 4200; ms += 100) m.sample(ms);
  t.equal(m.sample(4300).eventsPerSec, 0);
});

t.test('daemon stats: present, absent, age', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'stats.json');
  const m = new DaemonStatsMonitor(path);
  t.equal(m.sample(), null, 'no file yet');
  writeFileSync(`${path}.tmp`, JSON.stringify({ ts: 1000, pid: 5, policy: 'drop', queue: { records: 3, paused: false }, futureField: 1 }));
  renameSync(`${path}.tmp`, path);
  const s = m.sample(1250)!;
  t.equal(s.policy, 'drop');
  t.equal(s.queue.records, 3);
  t.equal(s.ageMs, 250);
  t.equal(s.futureField, 1, 'unknown fields pass through');
  writeFileSync(path, '{"ts":');
  t.equal(m.sample(), null);
  t.equal(m.parseErrors, 1);
});
