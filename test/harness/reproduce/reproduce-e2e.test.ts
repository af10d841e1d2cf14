// End to end on the real kernel, short (10-14 s runs): a loss bundle whose drain is a slow disk
// reproduces with a bounded queue, as the field's daemon was; a memory bundle given a drain too
// fast to show anything is not reproduced, says what to change, and --search finds the symptom
// by raising the offered load. Needs root, kernel audit and tsauditd.
// Run under the kernel lock:
//   flock /tmp/auditstorm-kernel.lock npx tap test/harness/reproduce/reproduce-e2e.test.ts
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { reproduce } from '../../../harness/reproduce/reproduce.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsauditd = join(root, 'auditd/bin/tsauditd.js');
const skip = process.getuid?.() !== 0 ? 'needs root (kernel audit)'
  : !existsSync(tsauditd) ? 'tsauditd is not there yet (auditd/bin/tsauditd.js)'
    : !existsSync('/proc/self/loginuid') ? 'kernel without audit' : false;

/** what a run must leave as it found: enabled, the registered pid, the rules */
function kernelState(): string {
  return execFileSync('auditctl', ['-s']).toString().split('\n').filter((l) => /^(enabled|pid) /.test(l)).join(', ') + '; ' +
    execFileSync('auditctl', ['-l']).toString().trim();
}

t.test('reproduce on the kernel', { skip, timeout: 400_000 }, async (t) => {
  const found = kernelState();
  const out = mkdtempSync(join(tmpdir(), 'repro-e2e-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));

  await t.test('sync-nfs-backlog: a slow disk under the log; the backlog overflows as in the field', async (t) => {
    const r = await reproduce({ bundle: join(root, 'loads/bundles/sync-nfs-backlog'), outRoot: out, maxDurationMs: 12_000, policies: ['block'] });
    t.comment(r.conclusion);
    t.equal(r.scale.drain.via, 'slow-disk');
    const json = JSON.parse(readFileSync(join(r.dir, 'reproduce.json'), 'utf8'));
    t.equal(json.runs.length, 1);
    for (const k of ['policy', 'verdict', 'peakRssBytes', 'oomKills', 'silentLoss', 'backlogMax', 'generated']) t.ok(k in json.runs[0], `runs[].${k}`);
    const block = r.runs[0];
    t.ok(block.backlogMax > r.derived.kernel.backlogLimit.value || block.kernelLost > 0 || block.backlogWaitMs > 0,
      `the backlog overflowed (deepest ${block.backlogMax}, callers waited ${block.backlogWaitMs} ms, lost ${block.kernelLost})`);
    // The depth is sampled 10 times a second, and at the limit tsauditd's floor takes a record
    // every 2 ms, so a sample can fall a few records short of a backlog that was over its limit
    // (which the callers' waits above prove): full means within 1% of the limit.
    const limit = r.derived.kernel.backlogLimit.value;
    t.ok(block.backlogMax >= limit * 0.99, `the backlog was full (deepest sample ${block.backlogMax}, limit ${limit})`);
    t.equal(r.reproduced, true);
    const summary = JSON.parse(readFileSync(join(block.dir, 'summary.json'), 'utf8'));
    t.ok(JSON.stringify(summary).includes('slow-disk'), 'the run applied the slow-disk fault');
  });

  await t.test('2009-runaway with a drain too fast: not reproduced, what to change, then --search finds it', async (t) => {
    const r = await reproduce({
      bundle: join(root, 'loads/bundles/2009-runaway'), outRoot: out, maxDurationMs: 10_000, policies: ['unbounded'],
      overrides: { drainEventsPerSec: 1600 }, search: { factor: 2, maxSteps: 2, stepMs: 10_000 },
    });
    t.comment(r.conclusion);
    t.ok(r.search, 'the search ran: the flagged drain hid the symptom');
    t.equal(r.search!.steps[0].offeredFactor, 2, 'the first step doubles the offered load');
    t.ok(r.search!.found, `found: ${r.search!.stoppedBecause}`);
    t.equal(r.reproduced, true, 'unbounded shows the runaway at the found step');
    t.equal(r.runs.length, 1, 'the asked policy has its run at the found step');
    t.equal(r.runs[0].dir, r.search!.found!.dir, 'the found step ran unbounded at this very scale: that run stands, no second one');
    t.equal(r.derived.drain.drainEventsPerSec.source, 'flag --drain');
  });

  t.equal(kernelState(), found, 'the kernel is left as found');
});

t.test('not reproduced says what to change (figures from the run)', async (t) => {
  // pure: the advice from a run that made too little load against a fast drain
  const { adviseChanges } = await import('../../../harness/reproduce/reproduce.ts');
  const { deriveFromBundle } = await import('../../../harness/reproduce/derive.ts');
  const { scaleToHost } = await import('../../../harness/reproduce/scale.ts');
  const d = deriveFromBundle(join(root, 'loads/bundles/2009-runaway'), { drainEventsPerSec: 2000 });
  const s = scaleToHost(d, { hostMemAvailableBytes: 4 * 1024 ** 3 });
  const advice = adviseChanges(d, s, { policy: 'unbounded', generated: 5000, backlogMax: 0, backlogWaitMs: 0, verdict: 'pass', peakRssBytes: 100 << 20, oomKills: 0, silentLoss: 0, kernelLost: 0, accountedLoss: 0, ended: 'duration', failed: [], memoryRunaway: false, lossPattern: false, invalid: false, dir: '' });
  t.match(advice.join('\n'), /made 500 events\/s of the 1450 asked/);
  t.match(advice.join('\n'), /raise --rate above 4000/);
  t.match(advice.join('\n'), /--search/);
  // a run that never happened (the daemon did not start) is no evidence: not reproduced, said so
  const { conclude } = await import('../../../harness/reproduce/reproduce.ts');
  const dead = { policy: 'unbounded' as const, generated: 0, backlogMax: 0, backlogWaitMs: 0, verdict: 'fail' as const, peakRssBytes: 0, oomKills: 0, silentLoss: 0, kernelLost: 0, accountedLoss: 0, ended: 'daemon-died', failed: ['daemon ran to the end'], memoryRunaway: false, lossPattern: false, invalid: true, dir: '/x' };
  const c = conclude(d, [dead]);
  t.equal(c.reproduced, false);
  t.match(c.text, /No run happened/);
  // a loss report, its bounded run: over the limit shows as lost, as callers' waits or as a
  // sampled depth over the limit; a queue at its limit with nobody waiting is no overflow
  const loss = deriveFromBundle(join(root, 'loads/bundles/sync-nfs-backlog'));
  const limit = loss.kernel.backlogLimit.value;
  const block = { ...dead, policy: 'block' as const, invalid: false, generated: 5000, verdict: 'pass' as const, ended: 'duration', failed: [] };
  t.equal(conclude(loss, [{ ...block, backlogMax: limit }]).reproduced, false, 'at the limit, no wait, no loss: not reproduced');
  t.equal(conclude(loss, [{ ...block, backlogMax: limit, backlogWaitMs: 250 }]).reproduced, true, 'callers waited: reproduced');
  t.match(conclude(loss, [{ ...block, backlogMax: limit, backlogWaitMs: 250 }]).text, /callers waited 250 ms, lost 0/);
  t.equal(conclude(loss, [{ ...block, backlogMax: limit + 1 }]).reproduced, true, 'sampled over the limit: reproduced');
  t.equal(conclude(loss, [{ ...block, backlogMax: limit, kernelLost: 3 }]).reproduced, true, 'kernel lost: reproduced');
});
