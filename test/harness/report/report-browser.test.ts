// report.html in a real browser: Debian's Chromium, headless, driven by playwright-core. Every
// plot must draw its data (pixels of its first series' colour inside the plot area), with no
// console errors and no network requests; a screenshot lands in the run folder. A synthetic
// 8-hour soak at 10 Hz (288,000 samples) must load well within a generous time. Above the
// charts, the sentence and the accounting bar must say what summary.json says; a daemon restart
// must break the RSS line; every fault window must carry its label; and at any window width the
// legend and the plot stay inside their frame.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunArtifacts } from '../../../harness/report/index.ts';
import { readRunData } from '../../../harness/report/run-data.ts';
import { runPageData } from '../../../harness/report/charts.ts';
import { CHROMIUM_PATH, checkPage } from '../../../harness/report/browser-check.ts';
import { DEFAULT_RESULTS_ROOT } from '../../../harness/run/results-dir.ts';
import { makeSyntheticRun, MIB } from './synthetic-run.ts';
import { breakdownOf, firstSentence } from '../../../harness/report/first-screen.ts';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';
import type { PageCheck } from '../../../harness/report/browser-check.ts';

function chromiumAvailable(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  // Debian's package; the test installs it once when it can (root, apt reachable).
  const r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (existsSync(CHROMIUM_PATH)) return null;
  return `${CHROMIUM_PATH} is missing and \`apt-get install -y chromium\` did not provide it (exit ${r.status ?? r.error?.message})`;
}

const skip = chromiumAvailable();
if (skip) t.plan(0, skip);

/** charts whose first series has any value: these must show pixels of that series' colour */
async function chartsWithData(dir: string): Promise<Set<string>> {
  const page = runPageData(await readRunData(dir));
  return new Set(page.charts.filter((c) => (c.series[0].max ?? c.series[0].values ?? []).some((v) => v !== null)).map((c) => c.id));
}

async function checkRunDir(t: Test, dir: string, expectAllData: boolean): Promise<void> {
  await writeRunArtifacts(dir);
  const shot = join(dir, 'report.png');
  const r = await checkPage(join(dir, 'report.html'), { screenshot: shot });
  t.same(r.consoleErrors, [], 'no console errors');
  t.same(r.externalRequests, [], 'no network: the page is self-contained');
  t.equal(r.charts.length, 7, 'seven charts');
  const withData = await chartsWithData(dir);
  if (expectAllData) t.equal(withData.size, 7, 'the fixture has data for every chart');
  for (const c of r.charts) {
    t.ok(c.drawn >= 1, `${c.id}: drew`);
    if (withData.has(c.id)) t.ok(c.seriesPixels > 50, `${c.id}: ${c.seriesPixels} pixels of its data line`);
  }
  t.ok(statSync(shot).size > 20_000, `screenshot saved: ${shot}`);
}

t.test('synthetic run: every plot draws, no errors, screenshot', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 900 });
  await checkRunDir(t, dir, true);
});

/** The first screen against summary.json: the sentence, and each part of the bar by its own
 *  figure in the file (not by the page's arithmetic), widths in proportion to generated. */
function checkFirstScreen(t: Test, r: PageCheck, s: RunSummary): void {
  const fs = r.firstScreen;
  t.equal(fs.answer, firstSentence(s), 'the sentence above the charts');
  t.ok(fs.barAboveCharts, 'the accounting bar comes before any chart');
  const ev = s.metrics.events as unknown as { generated: number; logged: number; unexpected: number; silentLoss: number; lost?: Record<string, number | null> };
  t.equal(fs.generated, ev.generated, 'the bar is of the generated events');
  const seg = (k: string) => fs.segments.find((x) => x.key === k);
  t.equal(seg('logged')?.value, ev.logged - ev.unexpected, 'logged part = events.logged - events.unexpected');
  t.equal(seg('silent')?.value, ev.silentLoss, 'silent part = events.silentLoss');
  if (ev.lost) {
    t.equal(seg('kernelIdentified')?.value, ev.lost.kernelDropped, 'kernel-identified part = lost.kernelDropped');
    t.equal(seg('daemon')?.value, (ev.lost.daemonDropped ?? 0) + (ev.lost.daemonNotWritten ?? 0), 'daemon part = lost.daemonDropped + lost.daemonNotWritten');
    t.ok((seg('kernelCounted')?.value ?? 0) <= (ev.lost.kernelCounted ?? 0) + (ev.lost.kernelDroppedUnattributed ?? 0), 'kernel-counted part within the lost counter');
  }
  t.equal(fs.segments.reduce((a, x) => a + x.value, 0), Math.max(ev.generated, ev.logged - ev.unexpected), 'the parts add up to generated');
  for (const x of fs.segments) {
    const want = (x.value / ev.generated) * fs.barWidth;
    t.ok(Math.abs(x.width - Math.max(want, x.value > 0 ? 3 : 0)) <= 2, `${x.key}: ${x.width.toFixed(1)} px for ${x.value} of ${ev.generated} (${want.toFixed(1)} px)`);
  }
}

t.test('first screen, restart break, fault labels, legend inside the frame', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 900, silentLoss: 5000 });
  await writeRunArtifacts(dir);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const r = await checkPage(join(dir, 'report.html'), { layoutWidths: [420, 900, 1600] });
  t.same(r.consoleErrors, []);
  checkFirstScreen(t, r, s);
  t.match(r.firstScreen.answer, /5,000 silently/, 'the silent loss is named in the sentence');
  t.equal(breakdownOf(s)!.silent, 5000);

  // the restart at 76.5 s (pid 100 -> 101): the RSS data is null there and gaps are not bridged
  const rss = r.charts.find((c) => c.id === 'rss')!;
  const line = rss.seriesData.find((x) => x.label.startsWith('RSS'))!;
  t.equal(line.spanGaps, false, 'RSS does not bridge gaps');
  const restartT = 76.5;
  const near = rss.x.map((x, i) => i).filter((i) => Math.abs(rss.x[i] - restartT) < 0.2);
  const at = near.find((i) => line.y[i] === null) ?? -1;
  t.ok(at > 0, `RSS is null at the restart (${rss.x[at]} s): the line breaks there`);
  t.not(line.y[at - 1], null, 'and is drawn before it');
  t.not(line.y[at + 1], null, 'and after it');
  t.equal(line.y.filter((v) => v === null).length, 1, 'the restart is the only gap in this fixture');
  for (const c of r.charts) for (const x of c.seriesData) t.equal(x.spanGaps, false, `${c.id}/${x.label}: no bridging of gaps`);

  const want = s.faults.map((f) => `${f.kind}${f.occurrence > 0 ? ` #${f.occurrence + 1}` : ''}`);
  t.ok(want.length > 0, 'the fixture has fault windows');
  for (const c of r.charts) t.same(c.faultLabels, want, `${c.id}: every fault window labelled with its kind`);

  for (const l of r.layouts) {
    t.notOk(l.overflowX, `${l.width} px: no horizontal scrolling`);
    for (const c of l.charts) {
      t.ok(c.canvas.left >= c.frame.left - 0.5 && c.canvas.right <= c.frame.right + 0.5, `${l.width} px ${c.id}: plot inside its frame`);
      t.ok(c.legend && c.legend.left >= c.frame.left - 0.5 && c.legend.right <= c.frame.right + 0.5 && c.legend.bottom <= c.frame.bottom + 0.5,
        `${l.width} px ${c.id}: legend inside its frame (${JSON.stringify(c.legend)} in ${JSON.stringify(c.frame)})`);
    }
  }
});

t.test('compare.html: the first-screen answer per run, side by side', async (t) => {
  const { compareDirs } = await import('../../../harness/compare/compare-runs.ts');
  const root = t.testdir();
  const a = join(root, 'a'), b = join(root, 'b');
  await makeSyntheticRun(a, { samples: 200, scenarioName: 'x' });
  await makeSyntheticRun(b, { samples: 200, scenarioName: 'x', daemon: 'auditd', policy: null, withDaemonStats: false, silentLoss: 700 });
  const r = await compareDirs([a, b], root);
  const page = await checkPage(join(r.outDir, 'compare.html'), {
    evaluate: `Array.from(document.querySelectorAll('.card')).map((c) => ({ run: c.dataset.run, top: c.getBoundingClientRect().top,
      answer: c.querySelector('.answer').textContent, silent: Number(c.querySelector('.seg-silent').dataset.value) }))`,
  });
  t.same(page.consoleErrors, []);
  const cards = page.extra as Array<{ run: string; top: number; answer: string; silent: number }>;
  t.same(cards.map((c) => c.run), ['tsauditd:block', 'auditd'], 'one answer per run');
  t.equal(cards[0].top, cards[1].top, 'side by side');
  for (const [i, dir] of [a, b].entries()) {
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    t.equal(cards[i].answer, firstSentence(s), `${cards[i].run}: the same sentence as its report`);
    t.equal(cards[i].silent, s.metrics.events.silentLoss, `${cards[i].run}: silent part from its summary`);
  }
});

t.test('first screen of a summary in the older shape (accountedLoss)', async (t) => {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 200, eventsShape: 'accountedLoss' });
  await writeRunArtifacts(dir);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const r = await checkPage(join(dir, 'report.html'));
  checkFirstScreen(t, r, s);
  t.equal(r.firstScreen.segments.find((x) => x.key === 'daemon')?.value, (s.metrics as { daemonDropped?: unknown }).daemonDropped, 'daemon part = metrics.daemonDropped');
});

t.test('a real run from results/, if there is one', async (t) => {
  const real = existsSync(DEFAULT_RESULTS_ROOT)
    ? readdirSync(DEFAULT_RESULTS_ROOT).sort().reverse().map((d) => join(DEFAULT_RESULTS_ROOT, d))
      .find((d) => existsSync(join(d, 'summary.json')) && existsSync(join(d, 'metrics.jsonl')))
    : undefined;
  if (!real) {
    t.comment('no finished run in results/ (the synthetic run above covers the page)');
    return;
  }
  t.comment(`real run: ${real}`);
  await checkRunDir(t, real, false);
  const r = await checkPage(join(real, 'report.html'));
  checkFirstScreen(t, r, JSON.parse(readFileSync(join(real, 'summary.json'), 'utf8')) as RunSummary);
});

t.test('an 8-hour soak at 10 Hz stays small and loads quickly', async (t) => {
  const dir = t.testdir();
  const spikeAt = 200_003;
  await makeSyntheticRun(dir, { samples: 288_000, spikeAt, spikeBytes: 900 * MIB });
  const t0 = Date.now();
  await writeRunArtifacts(dir);
  const genMs = Date.now() - t0;
  t.comment(`report of 288,000 samples written in ${genMs} ms`);
  t.ok(genMs < 120_000, `generated in ${genMs} ms`);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.ok(html.length < 3_000_000, `report.html is ${(html.length / 1e6).toFixed(2)} MB`);
  const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as ReturnType<typeof runPageData>;
  t.ok(data.x.length <= 2048, `${data.x.length} points per series`);
  t.equal(data.widthMs, 25_600);
  const rssMax = Math.max(...(data.charts[0].series[0].max as number[]));
  t.equal(rssMax, 900 * MIB + (spikeAt % 7) * 1024, 'the one-sample RSS spike survives downsampling');
  const r = await checkPage(join(dir, 'report.html'), { screenshot: join(dir, 'report.png'), timeoutMs: 60_000 });
  t.comment(`loaded and drawn in ${r.loadMs} ms`);
  t.ok(r.loadMs < 15_000, `page ready in ${r.loadMs} ms`);
  t.same(r.consoleErrors, []);
  for (const c of r.charts) t.ok(c.seriesPixels > 50, `${c.id}: drew (${c.seriesPixels} px)`);
});
