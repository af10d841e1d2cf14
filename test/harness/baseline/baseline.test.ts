// Baselines and the regression gate: tolerance syntax and errors, the bad direction of each
// figure, tolerances from the scenario's expect.tolerance and from flags, save/check round trip,
// and the CLI's exit code 1 with a table when a figure regressed.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allowedLimit, parseTolerance, tolerancesFromFlags, tolerancesFromScenario } from '../../../harness/baseline/tolerance.ts';
import { checkBaseline, checkFigures, checkTable, loadBaseline, saveBaseline, tolerancesFor, type Baseline } from '../../../harness/baseline/baseline.ts';
import { makeSyntheticRun, MIB } from '../report/synthetic-run.ts';

const BIN = resolve(import.meta.dirname, '../../../harness/bin/auditstorm.js');

t.test('tolerance syntax', async (t) => {
  t.same(parseTolerance('peak_rss', '10%', 'x'), { kind: 'relative', fraction: 0.1 });
  t.same(parseTolerance('peak_rss', '+12.5%', 'x'), { kind: 'relative', fraction: 0.125 });
  t.same(parseTolerance('events_per_sec', '-10%', 'x'), { kind: 'relative', fraction: 0.1 }, 'sign ignored: the direction is the figure\'s');
  t.same(parseTolerance('peak_rss', '8MiB', 'x'), { kind: 'absolute', amount: 8 * MIB });
  t.same(parseTolerance('backlog_wait', '500ms', 'x'), { kind: 'absolute', amount: 500 });
  t.same(parseTolerance('kernel_lost', 100, 'x'), { kind: 'absolute', amount: 100 });
  t.same(parseTolerance('silent_loss', '0', 'x'), { kind: 'absolute', amount: 0 });
  t.same(parseTolerance('backlog_wait', 'off', 'x'), { kind: 'off' });
  t.throws(() => parseTolerance('rss', '10%', 'here'), /here: unknown tolerance "rss"; known: peak_rss, events_per_sec/);
  t.throws(() => parseTolerance('peak_rss', 8, 'here'), /here: 8 has no unit/);
  t.throws(() => parseTolerance('peak_rss', '8 potatoes', 'here'), /here: .*potatoes/);
  t.throws(() => parseTolerance('kernel_lost', 'lots', 'here'), /here: "lots" is not a percentage/);
  t.same(tolerancesFromFlags(['peak_rss=15%,events-per-sec=5%']), { peak_rss: { kind: 'relative', fraction: 0.15 }, events_per_sec: { kind: 'relative', fraction: 0.05 } });
  t.throws(() => tolerancesFromFlags(['peak_rss']), /write KEY=VALUE/);
  t.same(tolerancesFromScenario({ expect: { tolerance: { oom_kills: 1 } } }), { oom_kills: { kind: 'absolute', amount: 1 } });
  t.throws(() => tolerancesFromScenario({ expect: { tolerance: { peak_rss: 'x' } } }, 'f.yaml'), /f.yaml: expect.tolerance.peak_rss/);
  t.throws(() => tolerancesFromScenario({ expect: { tolerance: [1] } }, 'f.yaml'), /must be a mapping/);
});

t.test('allowed limits and the bad direction of each figure', async (t) => {
  t.equal(allowedLimit(100, { kind: 'relative', fraction: 0.1 }, 1), 110);
  t.equal(allowedLimit(100, { kind: 'relative', fraction: 0.1 }, -1), 90);
  t.equal(allowedLimit(5, { kind: 'absolute', amount: 0 }, 1), 5);
  t.equal(allowedLimit(5, { kind: 'off' }, 1), null);
  const base = { figures: { peakRssBytes: 100 * MIB, eventsPerSec: 10_000, kernelLost: 0, silentLoss: 0, backlogWaitMs: 50, oomKills: 0 } } as Baseline;
  const tol = { peak_rss: parseTolerance('peak_rss', '10%', ''), events_per_sec: parseTolerance('events_per_sec', '10%', ''), silent_loss: parseTolerance('silent_loss', 0, ''), oom_kills: parseTolerance('oom_kills', 0, '') };
  const status = (now: Partial<Baseline['figures']>) => Object.fromEntries(checkFigures(base, { ...base.figures, ...now }, tol).map((r) => [r.key.key, r.status]));
  t.match(status({}), { peak_rss: 'ok', events_per_sec: 'ok', silent_loss: 'ok', kernel_lost: 'not checked', backlog_wait: 'not checked' });
  t.equal(status({ peakRssBytes: 110 * MIB }).peak_rss, 'ok', 'exactly at the tolerance passes');
  t.equal(status({ peakRssBytes: 110 * MIB + 1 }).peak_rss, 'regressed');
  t.equal(status({ peakRssBytes: 50 * MIB }).peak_rss, 'improved');
  t.equal(status({ eventsPerSec: 9_000 }).events_per_sec, 'ok');
  t.equal(status({ eventsPerSec: 8_999 }).events_per_sec, 'regressed', 'fewer events/s is worse');
  t.equal(status({ eventsPerSec: 20_000 }).events_per_sec, 'improved', 'more events/s is better, never a regression');
  t.equal(status({ silentLoss: 1 }).silent_loss, 'regressed', 'one silent loss more than the baseline regresses');
  t.equal(status({ kernelLost: 1e6 }).kernel_lost, 'not checked');
  t.equal(status({ peakRssBytes: null }).peak_rss, 'missing');
});

t.test('save, check, scenario tolerances, flags, and the table', async (t) => {
  const root = t.testdir();
  const run = join(root, 'run');
  const bl = join(root, 'baselines');
  await makeSyntheticRun(run, { samples: 20, scenarioName: 'gate' });
  const { path, baseline } = saveBaseline(run, { dir: bl });
  t.equal(path, join(bl, 'gate-tsauditd-block.json'), 'default name: scenario-daemon-policy');
  t.equal(baseline.figures.peakRssBytes, 40 * MIB);
  t.same(loadBaseline('gate-tsauditd-block', bl).figures, baseline.figures);
  t.throws(() => saveBaseline(run, { dir: bl, name: '../evil' }), /letters, digits/);
  t.throws(() => loadBaseline('other', bl), /no baseline "other" in .* \(have: gate-tsauditd-block\); save one with: auditstorm baseline save RUN_DIR --name other/);

  // the synthetic scenario.yaml sets expect.tolerance.peak_rss: 20%
  t.same(tolerancesFor(run).peak_rss, { kind: 'relative', fraction: 0.2 });
  t.equal(checkBaseline(run, { dir: bl }).regressed.length, 0, 'a run matches its own baseline');

  const s = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  s.metrics.peakRssBytes = 47 * MIB; // +17.5%: inside the scenario's 20%, outside the default 10%
  s.metrics.throughputEventsPerSec = 15_000; // -16.7%
  writeFileSync(join(run, 'summary.json'), JSON.stringify(s));
  const r = checkBaseline(run, { dir: bl });
  t.same(r.regressed.map((x) => x.key.key), ['events_per_sec']);
  const r2 = checkBaseline(run, { dir: bl, tolerances: tolerancesFromFlags(['peak_rss=10%', 'events_per_sec=20%']) });
  t.same(r2.regressed.map((x) => x.key.key), ['peak_rss'], 'flags override the scenario');
  const text = checkTable(r);
  t.match(text, /events\/s\s+18,000\s+15,000\s+-16.7%\s+-10%\s+16,200\s+REGRESSED/);
  t.match(text, /peak RSS\s+40.0 MiB\s+47.0 MiB\s+\+17.5%\s+\+20%\s+48.0 MiB\s+ok/);
  t.match(text, /REGRESSED: events\/s\n$/);
  s.scenario = 'other';
  writeFileSync(join(run, 'summary.json'), JSON.stringify(s));
  t.match(checkBaseline(run, { dir: bl, name: 'gate-tsauditd-block' }).warnings.join('\n'), /baseline is of scenario gate, this run of other/);
});

t.test('CLI: baseline save/check exit codes; report writes the artifacts', async (t) => {
  const root = t.testdir();
  const run = join(root, 'run');
  const bl = join(root, 'bl');
  await makeSyntheticRun(run, { samples: 20, scenarioName: 'cli' });
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  const saved = cli('baseline', 'save', run, '--dir', bl, '--name', 'cli-base');
  t.equal(saved.status, 0, saved.stderr);
  t.match(saved.stdout, /baseline cli-base .* saved/);
  const ok = cli('baseline', 'check', run, '--dir', bl, '--name', 'cli-base');
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /no regression/);
  const s = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  s.metrics.peakRssBytes = 60 * MIB;
  writeFileSync(join(run, 'summary.json'), JSON.stringify(s));
  const bad = cli('baseline', 'check', run, '--dir', bl, '--name', 'cli-base');
  t.equal(bad.status, 1, 'exit 1 on a regression');
  t.match(bad.stdout, /peak RSS\s+40.0 MiB\s+60.0 MiB\s+\+50.0%\s+\+20%\s+48.0 MiB\s+REGRESSED/);
  t.equal(cli('baseline', 'check', run, '--dir', bl, '--name', 'nope').status, 2, 'no such baseline: exit 2');
  t.equal(cli('baseline', 'check', run, '--dir', bl, '--name', 'cli-base', '--tolerance', 'bogus=1').status, 2, 'bad tolerance: exit 2');
  t.equal(cli('baseline', 'check', join(root, 'missing'), '--dir', bl).status, 2, 'not a results folder: exit 2');
  const rep = cli('report', run);
  t.equal(rep.status, 0, rep.stderr);
  for (const f of ['report.html', 'junit.xml', 'summary.md']) t.ok(existsSync(join(run, f)), f);
  t.equal(cli('compare', run).status, 2, 'compare with one folder is bad usage');
  t.ok(execFileSync(process.execPath, [BIN, 'compare', '--help'], { encoding: 'utf8' }).includes('--repeat'));
});
