// report.html in a real browser: Debian's Chromium, headless, driven by playwright-core. Every
// plot must draw its data (pixels of its first series' colour inside the plot area), with no
// console errors and no network requests; a screenshot lands in the run folder. A synthetic
// 8-hour soak at 10 Hz (288,000 samples) must load well within a generous time.
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
