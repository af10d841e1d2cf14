// The bench's table: each ratio is tsauditd/auditd of the medians, and each target line says
// "NOT met" when the figure misses it.
import t from 'tap';
import { formatBench, type BenchResult } from '../../../harness/bench/bench.ts';

const MiB = 1048576;
const fig = (eventsPerSec: number, cpuSecPer100k: number, cpuSecPerMin: number, peakRssBytes: number, idleRssBytes: number) =>
  ({ eventsPerSec, cpuSecPer100k, cpuSecPerMin, peakRssBytes, idleRssBytes });

function result(tsFullCpu: number, tsIdleRss: number, peak: number, help: number): BenchResult {
  return {
    rows: [{ daemon: 'tsauditd', load: 'full', round: 1, eventsPerSec: 50000, events: 1e6, cpuSeconds: 5, cpuSecPer100k: tsFullCpu, durationSec: 20,
      peakRssBytes: peak, idleRssBytes: tsIdleRss, rssBoundBytes: tsIdleRss + 32 * MiB, silentLoss: 0, kernelLost: 0, dir: '/x' }],
    median: {
      tsauditd: { full: fig(50000, tsFullCpu, 0, peak, tsIdleRss), moderate: fig(2000, 2, 0, 60 * MiB, tsIdleRss), idle: fig(0, NaN, 0.01, tsIdleRss, tsIdleRss) },
      auditd: { full: fig(20000, 1, 0, 4 * MiB, 3 * MiB), moderate: fig(2000, 5, 0, 4 * MiB, 3 * MiB), idle: fig(0, NaN, 0.005, 3 * MiB, 3 * MiB) },
    },
    cli: [{ command: 'auditstorm --help', medianSec: help, runs: 10 }],
  };
}

t.test('ratios of the medians and met targets', async (t) => {
  const text = formatBench(result(0.5, 50 * MiB, 70 * MiB, 0.1));
  t.match(text, /full load: events\/s\s+50000\s+20000\s+2\.50x\s+>= 2x: met/);
  t.match(text, /full load: CPU s per 100k events\s+0\.50\s+1\.00\s+0\.50x\s+<= 0\.6x: met/);
  t.match(text, /moderate: CPU s per 100k events\s+2\.00\s+5\.00\s+0\.40x\s+<= 0\.6x: met/);
  t.match(text, /idle RSS\s+50\.0 MiB\s+3\.0 MiB.*<= 60 MiB: met/);
  t.match(text, /in every loaded run: met/);
  t.match(text, /auditstorm --help:\s+median 0\.100 s of 10 runs; target < 0\.3 s: met/);
});

t.test("the sampler's own cost, beside its target", async (t) => {
  const at = (pct: number) => formatBench({ ...result(0.5, 50 * MiB, 70 * MiB, 0.1), sampler: { pct, ticks: 51, meanTickUs: 900, maxTickUs: 2000, stalls: 0, seconds: 5.02 } });
  t.match(at(1.25), /sampler at 10 Hz \(harness\):\s+1\.25% of one core, 51 ticks in 5\.0 s; target < 3%: met/);
  t.match(at(3.5), /target < 3%: NOT met/);
  t.notMatch(formatBench(result(0.5, 50 * MiB, 70 * MiB, 0.1)), /sampler at/, 'no line for a result without the measurement');
});

t.test('each missed target says NOT met', async (t) => {
  const text = formatBench(result(0.7, 61 * MiB, 61 * MiB + 33 * MiB, 0.31));
  t.match(text, /CPU s per 100k events\s+0\.70\s+1\.00\s+0\.70x\s+<= 0\.6x: NOT met/);
  t.match(text, /<= 60 MiB: NOT met/);
  t.match(text, /in every loaded run: NOT met/);
  t.match(text, /target < 0\.3 s: NOT met/);
});

t.test('slow-disk loads: events/s against auditd, and any loss or timed-out send of tsauditd is NOT met', async (t) => {
  const slowRow = (daemon: 'tsauditd' | 'auditd', missing: number, drops: number, kernelLost = 0) => ({
    daemon, load: 'slow-writer' as const, round: 1, eventsPerSec: daemon === 'tsauditd' ? 1500 : 500, events: 1000, cpuSeconds: 1, cpuSecPer100k: 1,
    durationSec: 20, peakRssBytes: 80 * MiB, idleRssBytes: 60 * MiB, rssBoundBytes: 100 * MiB, silentLoss: 0, kernelLost,
    generated: 1000 + missing, missing, socketDrops: drops, dir: '/x',
  });
  const base = result(0.5, 50 * MiB, 70 * MiB, 0.1);
  const withSlow = (rows: ReturnType<typeof slowRow>[]): BenchResult => ({
    ...base, rows: [...base.rows, ...rows],
    median: {
      tsauditd: { ...base.median.tsauditd, 'slow-writer': fig(1500, 1, 0, 80 * MiB, 60 * MiB) },
      auditd: { ...base.median.auditd, 'slow-writer': fig(500, 1, 0, 4 * MiB, 3 * MiB) },
    },
  });
  const good = formatBench(withSlow([slowRow('tsauditd', 0, 0), slowRow('auditd', 7, 0)]));
  t.match(good, /slow-writer: events\/s\s+1500\s+500\s+3\.00x\s+>= 1x: met/);
  t.match(good, /slow-writer: tsauditd block, 1 run\(s\): events missing \+ kernel lost 0 \(target 0: met\), socket drops 0 \(target 0: met\), peak RSS within its bound: met/);
  t.match(good, /the slow-disk loads: their scenario's flush and throttled disk/);
  const bad = formatBench(withSlow([slowRow('tsauditd', 2, 3, 1), slowRow('auditd', 0, 0)]));
  t.match(bad, /events missing \+ kernel lost 3 \(target 0: NOT met\), socket drops 3 \(target 0: NOT met\)/);
  t.notMatch(formatBench(base), /slow-writer/, 'no slow-disk lines without slow-disk runs');
});
