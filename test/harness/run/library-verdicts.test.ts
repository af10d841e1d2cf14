// The library's verdicts, not just "it ran", on a short cut of the runaway-queue scenario (the
// 2009 case: a 1 MiB/s O_DSYNC log under an openat storm): block stays bounded with no silent
// loss; drop stays bounded and every event it drops is counted, by event; unbounded runs away
// and fails. The full matrix is `npm run scenarios` (and library.test.ts with AUDITSTORM_FULL=1).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, rulesSnapshot, settingsSnapshot } from '../../helpers/kernel.ts';
import { loadScenario, resolveScenarioPath } from '../../../harness/scenario/load-scenario.ts';
import { runScenario } from '../../../harness/run/run-scenario.ts';
import { eventsMissing } from '../../../harness/verdict/accounting.ts';

const skip = isRoot ? false : 'needs root';
const failed = (o: Awaited<ReturnType<typeof runScenario>>) => o.summary.assertions.filter((a) => !a.ok).map((a) => `${a.name}: ${a.actual} (limit ${a.limit})`);

t.test('runaway-queue verdicts under block, drop and unbounded', { skip, timeout: 300_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'auditstorm-verdicts-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();
  const run = (policy: 'block' | 'drop' | 'unbounded') =>
    runScenario({ scenario: loadScenario(resolveScenarioPath('runaway-queue'), { daemon: 'tsauditd', policy, duration: '6s' }), outRoot: out, lockWaitMs: 600_000 });

  const block = await run('block');
  t.equal(block.summary.verdict, 'pass', `block passes: ${failed(block).join('; ')}`);
  t.equal(block.summary.metrics.events.silentLoss, 0);
  // the throttle blocked the callers and lost nothing: every event whole in the log, none dropped
  // by the kernel, and no caller's wait came near backlog_wait_time
  const k = block.summary.metrics.kernel;
  t.ok(k.backlogWaitMs > 0, `callers waited for room in the backlog (${k.backlogWaitMs} ms in sum)`);
  t.equal(eventsMissing(block.summary.metrics.events), 0, 'every generated event in the log');
  t.equal(block.summary.metrics.events.incomplete, 0, 'and complete');
  t.equal(k.lost, 0, 'the kernel dropped none of their records');
  const tick = 1000 / block.summary.host.hz;
  t.ok(k.longestAuditedOpMs !== null && k.longestAuditedOpMs + tick < k.backlogWaitTimeMs,
    `the longest audited op (${k.longestAuditedOpMs} ms) is under backlog_wait_time (${k.backlogWaitTimeMs} ms) by more than a tick`);
  t.notOk(block.summary.warnings.some((w) => /at least backlog_wait_time/.test(w)), 'and the run does not warn of a wait that ran out');

  const drop = await run('drop');
  const d = drop.summary.metrics.events;
  t.equal(drop.summary.verdict, 'pass', `drop passes: ${failed(drop).join('; ')}`);
  t.ok((d.lost.daemonDropped ?? 0) > 0, `drop dropped ${d.lost.daemonDropped} event(s), counted per event`);
  t.equal(d.silentLoss, 0, 'and every one of them is accounted for');
  t.ok(eventsMissing(d) >= (d.lost.daemonDropped ?? 0), 'the loss is real: missing from the log');

  const unb = await run('unbounded');
  t.equal(unb.summary.verdict, 'fail', 'unbounded fails');
  t.ok(failed(unb).some((f) => /peak RSS|OOM/.test(f)), `on memory: ${failed(unb).join('; ')}`);

  t.equal(settingsSnapshot(), settings, 'settings as found');
  t.equal(rulesSnapshot(), rules, 'rules as found');
});
