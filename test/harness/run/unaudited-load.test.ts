// The unaudited-load scenario on the real kernel: with rules that audit both loads it runs with
// no silent loss; with allow_unaudited, the unaudited burst is not counted as generated, so its
// 1000 ops/s do not turn into "silent loss". Short runs (4 s each).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, PROJECT_ROOT } from '../../../harness/scenario/load-scenario.ts';
import { runScenario } from '../../../harness/run/run-scenario.ts';
import { rulesSnapshot, settingsSnapshot, skipUnlessRoot } from '../../helpers/kernel.ts';

const fx = (f: string) => join(PROJECT_ROOT, 'test/fixtures/scenarios', f);

t.test('audited: silent loss 0; allow_unaudited: the burst is not generated', { skip: skipUnlessRoot }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'unaudited-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();

  const audited = await runScenario({ scenario: loadScenario(fx('unaudited-load-audited.yaml'), { duration: '2s' }), outRoot: out, lockWaitMs: 300_000 });
  const a = audited.summary.metrics.events;
  const burstOps = audited.summary.loads.burst?.ops ?? 0;
  t.ok(burstOps > 500, `the burst ran (${burstOps} ops)`);
  t.ok(a.generated > burstOps, `generated ${a.generated} includes the burst's audited syscalls`);
  t.equal(a.silentLoss, 0, 'every generated event logged');

  const allowed = await runScenario({ scenario: loadScenario(fx('unaudited-load-allowed.yaml'), { duration: '2s' }), outRoot: out, lockWaitMs: 300_000 });
  const w = allowed.summary.metrics.events;
  const base = allowed.summary.loads.base?.auditedSyscalls ?? -1;
  t.ok((allowed.summary.loads.burst?.ops ?? 0) > 500, 'the unaudited burst ran too');
  t.equal(w.generated, base, `generated ${w.generated} is the audited base load's ${base} only`);
  t.equal(w.silentLoss, 0, 'its operations did not become silent loss');
  t.ok(allowed.summary.warnings.some((x) => /allow_unaudited/.test(x)), 'the summary says the burst was not counted');

  t.equal(settingsSnapshot(), settings, 'settings as found');
  t.equal(rulesSnapshot(), rules, 'rules as found');
});
