// Comparisons: medians and ratios, the alternating run order, --daemons parsing, and the whole
// pipeline (runs -> compare.json, compare.txt, compare.html) with a stand-in runner that makes
// synthetic result folders (the real runner is exercised by `auditstorm compare` on the kernel).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';
import { compareRunOf, groupRuns, median, ratioOf, runOrder } from '../../../harness/compare/compare-math.ts';
import { compareDirs, compareScenario, parseDaemons, type RunOneFn } from '../../../harness/compare/compare-runs.ts';
import { compareTable } from '../../../harness/compare/compare-table.ts';
import { comparePageData } from '../../../harness/compare/compare-page.ts';
import { readRunData } from '../../../harness/report/run-data.ts';
import { makeSyntheticRun, MIB } from '../report/synthetic-run.ts';

t.test('median and ratio', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([null, 5, null]), 5, 'missing figures are ignored');
  t.equal(median([]), null);
  t.equal(ratioOf(50, 100), 0.5);
  t.equal(ratioOf(0, 0), 1, 'nothing lost either way');
  t.equal(ratioOf(5, 0), null, 'no ratio against zero');
  t.equal(ratioOf(null, 3), null);
});

t.test('run order alternates each round', async (t) => {
  t.same(runOrder(['a', 'b', 'c'], 3).map((r) => `${r.round}${r.item}`), ['0a', '0b', '0c', '1c', '1b', '1a', '2a', '2b', '2c']);
  t.same(runOrder(['a'], 2).map((r) => r.position), [0, 0]);
});

t.test('--daemons parsing', async (t) => {
  t.same(parseDaemons('tsauditd:block, auditd'), [{ daemon: 'tsauditd', policy: 'block', label: 'tsauditd:block' }, { daemon: 'auditd', policy: undefined, label: 'auditd' }]);
  t.throws(() => parseDaemons('tsauditd:block:x'), /not NAME or NAME:POLICY/);
  t.throws(() => parseDaemons('tsauditd:'), /not NAME or NAME:POLICY/);
  t.throws(() => parseDaemons(','), /at least one/);
  t.throws(() => parseDaemons('auditd,auditd'), /listed twice.*--repeat/);
});

function summary(label: string, rss: number, eps: number, verdict: 'pass' | 'fail' = 'pass'): RunSummary {
  const [daemon, policy] = label.split(':');
  return {
    scenario: 's', daemon, policy: policy ?? null, verdict,
    assertions: verdict === 'pass' ? [] : [{ name: 'peak RSS under its bound', ok: false, actual: rss, limit: 1 }],
    metrics: { peakRssBytes: rss, throughputEventsPerSec: eps, kernel: { lost: 10, backlogMax: 0, backlogWaitMs: 100 }, oomKills: 0,
      events: { silentLoss: 0 } } as unknown as RunSummary['metrics'],
    host: { kernel: 'k' } as RunSummary['host'],
  } as RunSummary;
}

t.test('groups: medians over repeats, ratios against the first daemon, the table', async (t) => {
  const runs = [
    compareRunOf(summary('tsauditd:block', 100 * MIB, 1000), '/a', 0, 0),
    compareRunOf(summary('auditd', 10 * MIB, 500), '/b', 0, 1),
    compareRunOf(summary('auditd', 20 * MIB, 700), '/c', 1, 0),
    compareRunOf(summary('tsauditd:block', 300 * MIB, 3000, 'fail'), '/d', 1, 1),
    compareRunOf(summary('tsauditd:block', 200 * MIB, 2000), '/e', 2, 0),
  ];
  const g = groupRuns(runs, ['tsauditd:block', 'auditd']);
  t.same(g.map((x) => [x.label, x.runs, x.passes]), [['tsauditd:block', 3, 2], ['auditd', 2, 2]]);
  t.equal(g[0].medians.peakRssBytes, 200 * MIB);
  t.equal(g[1].medians.peakRssBytes, 15 * MIB);
  t.equal(g[1].medians.eventsPerSec, 600);
  t.equal(g[0].ratios.peakRssBytes, 1);
  t.equal(g[1].ratios.peakRssBytes, 0.075);
  t.equal(g[1].ratios.eventsPerSec, 0.3);
  const text = compareTable(runs, g);
  t.match(text, /runs \(in the order they ran\):/);
  t.match(text, /tsauditd:block #2\s+FAIL\s+300.0 MiB/);
  t.match(text, /auditd\s+2\/2 pass\s+15.0 MiB \(x0.0[78]\)\s+600 \(x0.30\)/);
  t.match(text, /ratios against tsauditd:block, medians over repeats/);
  t.match(text, /failed assertions:\n {2}tsauditd:block #2: peak RSS under its bound/);
});

t.test('compare a scenario: alternating runs, artifacts, overlay on one time grid', async (t) => {
  const root = t.testdir();
  const calls: string[] = [];
  let k = 0;
  const fake: RunOneFn = async (scenario, o) => {
    const label = o.policy ? `${o.daemon}:${o.policy}` : o.daemon;
    calls.push(label);
    const dir = join(root, `run-${k++}-${label.replace(':', '-')}`);
    // different lengths: the overlay must widen the shorter runs onto the longest run's grid
    await makeSyntheticRun(dir, { samples: label === 'auditd' ? 3000 : 1500, daemon: o.daemon, policy: o.policy ?? null, withDaemonStats: label !== 'auditd',
      verdict: label.endsWith('unbounded') ? 'fail' : 'pass', scenarioName: 'slow-writer' });
    return { dir, exitCode: 0, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary };
  };
  const r = await compareScenario({ scenario: 'slow-writer', daemons: parseDaemons('tsauditd:block,tsauditd:unbounded,auditd'), repeat: 2, out: root, runOne: fake });
  t.same(calls, ['tsauditd:block', 'tsauditd:unbounded', 'auditd', 'auditd', 'tsauditd:unbounded', 'tsauditd:block']);
  t.same(r.groups.map((g) => g.label), ['tsauditd:block', 'tsauditd:unbounded', 'auditd'], 'groups in --daemons order, not run order');
  for (const f of ['compare.json', 'compare.txt', 'compare.html']) t.ok(existsSync(join(r.outDir, f)), f);
  for (const run of r.runs) t.ok(existsSync(join(run.dir, 'report.html')), `each run got its report: ${run.dir}`);
  const json = JSON.parse(readFileSync(join(r.outDir, 'compare.json'), 'utf8'));
  t.equal(json.runs.length, 6);
  t.equal(json.groups[1].passes, 0);
  const html = readFileSync(join(r.outDir, 'compare.html'), 'utf8');
  t.equal((html.match(/class="chart" id="chart-/g) ?? []).length, 7);
  t.match(html, /tsauditd:block vs tsauditd:unbounded vs auditd/);

  const data = await Promise.all(r.runs.map((x) => readRunData(x.dir)));
  const page = comparePageData(data, r.runs.map((x) => x.label));
  t.equal(page.widthMs, 200, 'the longest run (3000 samples) set the grid');
  const breaks = new Set(data.flatMap((d) => d.pidBreaks));
  t.equal(page.x.length, 1500 + breaks.size, 'the grid, plus one point per distinct restart time (where lines break)');
  const rss = page.charts.find((c) => c.id === 'rss')!;
  t.equal(rss.series.filter((s) => !/socket/.test(s.label)).length, 6, 'one RSS line per run');
  t.equal(rss.series.filter((s) => /socket/.test(s.label)).length, 6, 'and one socket line per run');
  t.ok(rss.series.every((s) => s.max!.length === page.x.length), 'all on the same x');
  t.equal(rss.series[0].max!.filter((v) => v !== null).length, 750, 'a 1500-sample run fills half the grid (its restart point is null)');
  t.equal(new Set(rss.series.map((s) => s.color)).size, 3, 'one colour per daemon');
  t.equal((html.match(/class="card" data-run=/g) ?? []).length, 6, 'compare.html: one first-screen answer per run, side by side');
  t.match(html, /Memory (stayed bounded|was NOT bounded)/);
  t.match(page.charts.find((c) => c.id === 'queue')!.note, /auditd publishes no queue statistics/);
});

t.test('compare result folders', async (t) => {
  const root = t.testdir();
  const a = join(root, 'a'), b = join(root, 'b');
  await makeSyntheticRun(a, { samples: 100, scenarioName: 'x' });
  await makeSyntheticRun(b, { samples: 100, scenarioName: 'x', daemon: 'auditd', policy: null, withDaemonStats: false });
  const r = await compareDirs([a, b], root);
  t.same(r.groups.map((g) => g.label), ['tsauditd:block', 'auditd']);
  t.match(r.outDir, /-x-compare$/);
  await t.rejects(compareDirs([a, join(root, 'nope')], root), /not a result folder.*nope/);
});
