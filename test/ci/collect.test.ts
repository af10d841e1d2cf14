// ci/lib/collect.ts turns a suite's run folders into one junit.xml, one TAP file and one
// summary.md, and exits non-zero when any run failed or did not produce a summary.
// (ci/gate itself runs real scenarios for minutes: `npm run gate`, by hand or in CI.)
import t from 'tap';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { programPath } from '../../lib/paths.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(dir: string, name: string, verdict: 'pass' | 'fail') {
  const d = join(dir, 'runs', name);
  mkdirSync(d, { recursive: true });
  const ok = verdict === 'pass';
  writeFileSync(join(d, 'summary.json'), JSON.stringify({
    scenario: name, daemon: 'tsauditd', policy: 'block', verdict, durationMs: 20000,
    assertions: [{ name: 'peak RSS under its bound', ok, actual: 1, limit: 2, detail: 'd' }, { name: 'OOM kills', ok: true, actual: 0, limit: 0 }],
    metrics: { peakRssBytes: 100 * 1048576, oomKills: 0, throughputEventsPerSec: 4000, events: { generated: 10, logged: 10, silentLoss: 0 } },
  }));
  writeFileSync(join(d, 'results.tap'), `TAP version 14\n1..2\n${ok ? 'ok' : 'not ok'} 1 - peak RSS under its bound\nok 2 - OOM kills\n`);
}

function collect(dir: string) {
  return spawnSync(process.execPath, [programPath('ci/lib/collect.ts'), dir, 'gate'], { encoding: 'utf8', cwd: root });
}

t.test('all pass: exit 0, artifacts written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'collect-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  run(dir, 'a', 'pass');
  run(dir, 'b', 'pass');
  const r = collect(dir);
  t.equal(r.status, 0, r.stderr);
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.match(junit, /<testsuite name="a with tsauditd:block" tests="2" failures="0"/, "the report's JUnit writer (harness/report/junit.ts)");
  const tap = readFileSync(join(dir, 'gate.tap'), 'utf8');
  t.match(tap, /1\.\.2/);
  t.match(tap, /ok 2 - b tsauditd:block/);
  t.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /PASS \(2 runs\)/);
});

t.test('a failing run and a run without summary: exit 1, both reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'collect-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  run(dir, 'a', 'pass');
  run(dir, 'b', 'fail');
  writeFileSync(join(dir, 'failed-to-run.txt'), 'c:auditd (exit 3)\n');
  const r = collect(dir);
  t.equal(r.status, 1);
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.match(junit, /<failure message="actual [^"]+, limit [^"]+" type="assertion">d<\/failure>/);
  t.match(junit, /c:auditd \(exit 3\)/);
  t.match(readFileSync(join(dir, 'gate.tap'), 'utf8'), /not ok 2 - b tsauditd:block/);
  t.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /FAIL \(2 of 3\)/);
});

t.test('the CI scripts parse', async (t) => {
  for (const f of ['ci/gate', 'ci/soak', 'ci/check-clean']) {
    const r = spawnSync('bash', ['-n', join(root, f)]);
    t.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
});
