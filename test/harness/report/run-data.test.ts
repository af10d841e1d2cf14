// Reading a results folder into what the report draws: faults paired into windows, OOM kills and
// restarts marked (the first daemon-pid is the start, not a restart), kernel counters relative
// to the run, the logged rate from the daemon's written counter, and every chart fed.
import t from 'tap';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRunData } from '../../../harness/report/run-data.ts';
import { CHART_DEFS, runPageData } from '../../../harness/report/charts.ts';
import { makeSyntheticRun, MIB } from './synthetic-run.ts';

t.test('a synthetic run: markers, windows, relative counters, all seven charts', async (t) => {
  const dir = t.testdir();
  const { spikeT } = await makeSyntheticRun(dir, { samples: 600 });
  const d = await readRunData(dir);
  t.equal(d.samples, 600);
  t.equal(d.label, 'tsauditd:block');
  t.same(d.problems, []);
  t.same(d.faults, [{ start: 30, end: 36, label: 'disk-stall' }], 'fault-start/fault-end paired by id');
  t.equal(d.oomKills.length, 1);
  t.match(d.oomKills[0], { t: 48, label: /bystander 4242.*cgroup/ });
  t.equal(d.restarts.length, 1, 'the first daemon-pid is not a restart');
  t.match(d.restarts[0], { t: 51, label: /100 -> 101/ });
  t.equal(d.envelope.columns.lost.max[0], 0, 'kernel lost starts at 0: relative to the first sample');
  t.equal(d.envelope.columns.lost.max.at(-1), 180, '60 fault samples x 3 lost');
  t.equal(d.envelope.columns.waitMs.max.at(-1), 2400, '60 x 40 ms');
  t.equal(Math.max(...(d.envelope.columns.rss.max as number[])), 200 * MIB + (Math.floor(600 * 0.37) % 7) * 1024, 'the spike');
  t.equal(d.envelope.x[Math.round(spikeT * 10)], spikeT);
  t.equal(d.recordsPerEvent, 4, 'written records summed across the restart / logged events: 540 x 8000 / 1,080,000');

  const page = runPageData(d);
  t.equal(page.charts.length, CHART_DEFS.length);
  t.same(page.charts.map((c) => c.id), ['rss', 'cgroup', 'queue', 'backlog', 'lost', 'wait', 'rate']);
  for (const c of page.charts) {
    const first = c.series[0];
    t.ok(first.max!.some((v) => v !== null && v > 0), `${c.id}: its first series has data`);
    t.notOk(c.note && c.id !== 'rate', `${c.id}: no "missing data" note`);
  }
  const rss = page.charts.find((c) => c.id === 'rss')!;
  t.same(rss.series.map((s) => s.label), ['RSS', 'socket unread', 'bound (peak RSS limit)']);
  t.match(rss.series[2], { kind: 'limit', constant: 64 * MIB }, 'RSS bound from the peak-RSS assertion');
  t.same(rss.series[0].breakAt, [51], 'RSS breaks where the daemon pid changed');
  const cg = page.charts.find((c) => c.id === 'cgroup')!;
  t.same(cg.series.map((s) => s.label), ['cgroup usage', 'anon', 'page cache', 'cgroup limit'], 'cgroup usage split into anon and page cache');
  t.equal(cg.series[2].max!.find((v) => v !== null), 16 * MIB);
  const queue = page.charts.find((c) => c.id === 'queue')!;
  t.same(queue.series.map((s) => s.label), ['queue depth', 'HWM', 'LWM']);
  const rate = page.charts.find((c) => c.id === 'rate')!;
  t.same(rate.series.map((s) => s.label), ['generated', 'logged']);
  t.same(page.shades.map((s) => [s.start, s.end]), [[30, 36]]);
  t.same(page.marks.map((m) => m.dash), [false, true], 'OOM solid, restart dashed');
  // the restart at 51 s is one extra x point: null in the daemon's own series, the previous value elsewhere
  t.equal(page.x.length, d.envelope.x.length + 1);
  const at = page.x.findIndex((x) => x === 51 + 1e-6 || (x > 51 && x < 51.1));
  t.ok(at > 0, 'a break point just after 51 s');
  t.equal(rss.series[0].max![at], null, 'RSS is null at the restart');
  t.equal(page.charts.find((c) => c.id === 'backlog')!.series[0].max![at], page.charts.find((c) => c.id === 'backlog')!.series[0].max![at - 1], 'the kernel backlog goes on');
});

t.test('older runs: no memory.stat split, no socket samples: the charts say so', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 50, withMemoryDetail: false });
  const page = runPageData(await readRunData(dir));
  t.match(page.charts.find((c) => c.id === 'cgroup')!.note, /did not sample memory.stat/);
  t.match(page.charts.find((c) => c.id === 'rss')!.note, /no socket samples/);
});

t.test('a saved baseline is drawn over RSS and the logged rate', async (t) => {
  const dir = t.testdir();
  const bdir = t.testdir();
  await makeSyntheticRun(dir, { samples: 50 });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(bdir, 'synthetic-tsauditd-block.json'), JSON.stringify({ name: 'synthetic-tsauditd-block', figures: { peakRssBytes: 50 * MIB, eventsPerSec: 15_000 } }));
  const d = await readRunData(dir, { baselineDir: bdir });
  t.same(d.baseline, { name: 'synthetic-tsauditd-block', peakRssBytes: 50 * MIB, eventsPerSec: 15_000 });
  const page = runPageData(d);
  t.match(page.charts.find((c) => c.id === 'rss')!.series.at(-1), { kind: 'limit', constant: 50 * MIB, label: /baseline/ });
  t.match(page.charts.find((c) => c.id === 'rate')!.series.at(-1), { kind: 'limit', constant: 15_000, label: /baseline/ });
  const none = await readRunData(dir, { baselineDir: t.testdir() });
  t.equal(none.baseline, null, 'no baseline file: no overlay');
});

t.test('a daemon without stats: queue chart says so, logged rate is the run mean', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 50, withDaemonStats: false, daemon: 'auditd', policy: null });
  const page = runPageData(await readRunData(dir));
  const queue = page.charts.find((c) => c.id === 'queue')!;
  t.match(queue.note, /auditd publishes no queue statistics/);
  const rate = page.charts.find((c) => c.id === 'rate')!;
  t.match(rate.series[1], { kind: 'limit', constant: 18_000, label: /mean/ });
});

t.test('a run killed before its verdict: no summary, cut-off last line, open fault', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 40, withSummary: false });
  appendFileSync(join(dir, 'metrics.jsonl'), '{"t":4100,"ts":1,"event":"fault-start","id":"f9","kind":"freeze"}\n{"t":4200,"ts":2,"pid":1,"rss":');
  const d = await readRunData(dir);
  t.equal(d.summary, null);
  t.equal(d.label, 'tsauditd:block', 'label from scenario.yaml');
  t.ok(d.truncatedTail);
  t.match(d.problems.join('\n'), /summary.json is missing/);
  t.match(d.problems.join('\n'), /cut off/);
  t.same(d.faults.at(-1), { start: 4.1, end: null, label: 'freeze' }, 'a fault still open is drawn to the end');
  rmSync(join(dir, 'metrics.jsonl'));
  const empty = await readRunData(dir);
  t.match(empty.problems.join('\n'), /metrics.jsonl is missing/);
  t.equal(empty.envelope.x.length, 0);
});

t.test('a limit far above the data is left off the plot and named', async (t) => {
  const { dropOffScaleLimits } = await import('../../../harness/report/charts.ts');
  const c = dropOffScaleLimits({
    id: 'queue', title: 'q', unit: 'count', caption: '',
    series: [
      { label: 'queue depth', color: '#000000', kind: 'envelope', min: [1, 2], max: [10, 20] },
      { label: 'HWM', color: '#ff0000', kind: 'limit', values: [2 ** 31, 2 ** 31] },
      { label: 'LWM', color: '#00ff00', kind: 'limit', values: [5, 5] },
    ],
  });
  t.same(c.series.map((s) => s.label), ['queue depth', 'LWM']);
  t.match(c.note, /off the scale.*HWM 2,150,000,000/);
});

t.test('overlapping windows of the same kind pair by index and occurrence; summary.faults as fallback', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 20 });
  const ev = (tMs: number, event: string, index: number, occurrence: number) => JSON.stringify({ t: tMs, ts: 0, event, kind: 'freeze', index, occurrence });
  appendFileSync(join(dir, 'metrics.jsonl'), [ev(2000, 'fault-start', 1, 0), ev(2100, 'fault-start', 2, 0), ev(2500, 'fault-end', 2, 0), ev(2900, 'fault-end', 1, 0),
    ev(3000, 'fault-start', 1, 1), ev(3200, 'fault-end', 1, 1)].join('\n') + '\n');
  const d = await readRunData(dir);
  t.same(d.faults.filter((f) => f.label.startsWith('freeze')), [
    { start: 2, end: 2.9, label: 'freeze' }, { start: 2.1, end: 2.5, label: 'freeze' }, { start: 3, end: 3.2, label: 'freeze #2' },
  ]);
  const dir2 = t.testdir();
  await makeSyntheticRun(dir2, { samples: 20 });
  const { readFileSync, writeFileSync } = await import('node:fs');
  const lines = readFileSync(join(dir2, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => !l.includes('"fault-'));
  writeFileSync(join(dir2, 'metrics.jsonl'), lines.join('\n'));
  t.same((await readRunData(dir2)).faults, [{ start: 1, end: 1.2, label: 'disk-stall' }], 'from summary.json');
});

t.test('one empty 100 ms bucket is sampling jitter, two or more are a gap', async (t) => {
  const { fillJitter } = await import('../../../harness/report/run-data.ts');
  const { EnvelopeTable } = await import('../../../harness/report/envelope.ts');
  const table = new EnvelopeTable(['rss'] as const, 64);
  // ticks at 0, 100, 310 (bucket 2 left empty: jitter), then nothing until 720 (buckets 4-6: a stall)
  for (const [tMs, v] of [[0, 1], [100, 2], [310, 3], [720, 5]] as const) table.push(tMs, { rss: v });
  const raw = table.toEnvelope();
  t.same(raw.columns.rss.max, [1, 2, null, 3, null, null, null, 5], 'as bucketed');
  t.same(fillJitter(raw).columns.rss.max, [1, 2, 2, 3, null, null, null, 5], 'the lone empty bucket takes its neighbour; the stall stays a gap');
});
