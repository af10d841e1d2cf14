// slow-disk through the runner, against Debian's auditd on the real kernel: the log's writes held
// to a rate, then each given a latency, measured by slowfs under the log. A rate: this file runs
// alone (a daemon held off the CPU by other tests writes nothing for part of the window).
import t from 'tap';
import { runWith, skip } from './run-with.ts';

// auditd writes its log with stdio (buffered writes) and, with flush none or incremental_async,
// never waits for the disk itself: only a layer under every write() slows it.
for (const flush of ['none', 'incremental_async']) {
  t.test(`slow-disk (fuse) with auditd flush ${flush}: the log's writes held to the rate, then each given the latency`, { skip }, async (t) => {
    const rate = 256 * 1024;
    const { summary } = await runWith(t, `fault-slow-${flush.replace('_', '-')}`, [
      // a 2.5 s rate window: one of 1.5 s saw no write at all once, in a suite run beside the
      // parallel lane (the daemon or its load held off the CPU for over a second)
      'duration: 5500ms', `daemon: {name: auditd, config: {flush: ${flush}, freq: 50}}`,
      'loads: [{generator: open-close, processes: 1, rate: 2000}]',
      'faults: [{kind: slow-disk, at: 1s, for: 2500ms, rate: 256KiB/s}, {kind: slow-disk, at: 4s, for: 1s, latency: 20ms}]',
    ]);
    const [r, l] = summary.faults as [typeof summary.faults[0], typeof summary.faults[0]];
    t.equal(r.detail.method, 'fuse');
    const achieved = r.detail.achievedBytesPerSec as number;
    t.ok(Math.abs(achieved - rate) <= 0.25 * rate,
      `the log's writes went at ${(achieved / 1024).toFixed(0)} KiB/s for a 256 KiB/s rate (${r.detail.writes} writes, ${r.detail.bytesWritten} B in ${r.detail.windowSeconds} s)`);
    t.ok((l.detail.minWriteUs as number) >= 20_000,
      `every log write took >= 20 ms: min ${l.detail.minWriteUs} µs, mean ${l.detail.meanWriteUs} µs over ${l.detail.writes} writes`);
    t.ok(summary.metrics.events.logged > 0, `logged ${summary.metrics.events.logged} events`);
  });
}
