// Exact accounting on the real kernel: daemons that lie by known amounts (a fixture that writes
// down every lie) are caught by exactly those amounts, and when a daemon stops reading long
// enough for kauditd to drop, the events the kernel printed and the events the log holds are
// disjoint and add up to what the loads generated, exactly.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateScenario } from '../../../harness/scenario/load-scenario.ts';
import { runScenario, type RunSummary } from '../../../harness/run/run-scenario.ts';
import { eventsMissing } from '../../../harness/verdict/accounting.ts';
import { rulesSnapshot, settingsSnapshot, skipUnlessRoot } from '../../helpers/kernel.ts';

const root = new URL('../../..', import.meta.url).pathname;
const liar = join(root, 'test/fixtures/daemons/lying-daemon.ts');

interface Lies { discard: number; policyDrop: number; stripPath: number }

async function run(dir: string, name: string, opts: string[], o: { rate?: number; backlogLimit?: number; backlogWait?: string; expect?: string } = {}) {
  const log = join(dir, `${name}.log`), stats = join(dir, `${name}.stats.json`), truth = join(dir, `${name}.truth`);
  const text = `name: ${name}
description: a fixture daemon (${opts.join(' ') || 'honest'})
duration: 3s
kernel: { backlog_limit: ${o.backlogLimit ?? 8192}, backlog_wait_time: ${o.backlogWait ?? '10s'} }
rules: openat-storm.rules
daemon:
  name: command
  memory_limit: 256MiB
  command: [node, --import, tsx, ${liar}, ${log}, ${stats}, ${truth}${opts.map((x) => `, "${x}"`).join('')}]
  log: ${log}
  stats: ${stats}
loads:
  - generator: open-close
    processes: 1
    rate: ${o.rate ?? 2000}
expect:
${o.expect ?? '  silent_loss_max: 0'}
`;
  const scenario = validateScenario(text, { path: join(dir, `${name}.yaml`) });
  const outcome = await runScenario({ scenario, outRoot: dir, lockWaitMs: 300_000 });
  const s = outcome.summary;
  // the lies told about the run's own events (the fixture lies to any audited process)
  const lies: Lies = { discard: 0, policyDrop: 0, stripPath: 0 };
  for (const line of readFileSync(truth, 'utf8').split('\n')) {
    const [what, , auid] = line.split(' ');
    if (what && Number(auid) === s.auid) lies[what as keyof Lies]++;
  }
  return { s, e: s.metrics.events, lies, exitCode: outcome.exitCode };
}

const assertion = (s: RunSummary, name: string) => s.assertions.find((a) => a.name === name);

t.test('exact accounting against fixture daemons', { skip: skipUnlessRoot, timeout: 400_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'exact-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();

  t.test('discards every 7th event, drops every 5th by policy (counted), strips PATH from every 11th', async (t) => {
    const { s, e, lies } = await run(dir, 'liar', ['discard=7', 'policyDrop=5', 'stripPath=11']);
    t.ok(e.generated > 2000, `the load ran (${e.generated} events)`);
    t.ok(lies.discard > 100 && lies.policyDrop > 100 && lies.stripPath > 50, `lies told: ${JSON.stringify(lies)}`);
    t.equal(e.lost.kernelCounted, 0, 'the kernel lost nothing');
    t.equal(e.lost.kernelDropped, 0);
    t.equal(e.lost.daemonDropped, lies.policyDrop, 'the policy drops, from the per-event counter');
    t.equal(e.silentLoss, lies.discard, 'silent loss is exactly what it discarded');
    t.equal(e.silentLossBound, undefined, 'an exact figure, not a bound');
    t.equal(e.incomplete, lies.stripPath, 'incomplete is exactly the events written without PATH');
    t.equal(e.unexpected, 0);
    t.equal(e.duplicates, 0);
    t.match(assertion(s, 'no silent loss'), { ok: false, actual: lies.discard });
    t.match(assertion(s, 'incomplete events'), { ok: false, actual: lies.stripPath, limit: 0 }, 'incomplete_max defaults to 0 with silent_loss_max');
    t.equal(s.verdict, 'fail');
  });

  t.test('drops plugin records only: log loss 0, plugin drops reported beside', async (t) => {
    const { s, e } = await run(dir, 'plugin-only', ['pluginDrop=987'], { expect: '  silent_loss_max: 0\n  loss_max: 0' });
    t.equal(eventsMissing(e), 0, 'every event in the log');
    t.equal(e.silentLoss, 0);
    t.equal(e.incomplete, 0);
    t.equal(s.metrics.daemonCounters.pluginDroppedRecords, 987, 'plugin drops N, beside the accounting');
    t.equal(e.lost.daemonDropped, 0, 'and not in it');
    t.equal(s.verdict, 'pass', s.assertions.filter((a) => !a.ok).map((a) => `${a.name}: ${a.actual}`).join('; '));
  });

  t.test('a daemon that stops reading: kernel-printed and logged serials are disjoint and add up exactly', async (t) => {
    // kauditd prints what queued up while its sends timed out all at once: at 100 events/s each
    // burst stays within the kernel's 128 KiB log ring, so the reader can name every dropped event
    const { s, e } = await run(dir, 'pausing', ['pause=1500/400', 'rcvbuf=65536'], { rate: 100, backlogWait: '60s' });
    const k = s.metrics.kernel;
    t.equal(k.holdsPrinted, false, 'this kernel was booted without audit=1');
    t.equal(e.lost.kernelCounted, 0, 'with a long backlog wait the kernel counts no loss');
    t.equal(e.lost.kernelDroppedUnattributed, 0, 'every printed record was read');
    t.ok(e.lost.kernelDropped > 0, `the kernel dropped ${e.lost.kernelDropped} event(s) while the daemon did not read`);
    t.ok(s.metrics.socket.drops > 0, `the socket's drop counter saw the timed-out sends (${s.metrics.socket.drops})`);
    t.equal(k.printedEventsLogged, 0, 'disjoint: no printed event is in the log');
    t.equal(e.logged + (k.printedEvents ?? 0), e.generated, 'union: logged + printed = generated, exactly');
    t.equal(e.lost.kernelDropped, k.printedEvents);
    t.equal(e.silentLoss, 0);
    t.equal(e.incomplete, k.incompleteByKernel, 'an event the kernel cut mid-way has its missing records in the kernel log');
    t.match(assertion(s, 'incomplete events'), { ok: true, actual: 0 });
  });

  t.test('a lying daemon through the command kind: silent loss = what it discarded; the kernel\'s drops by serial', async (t) => {
    const { e, lies } = await run(dir, 'lying-pauser', ['discard=7', 'pause=1500/400', 'rcvbuf=65536'], { rate: 100, backlogWait: '60s' });
    t.equal(e.lost.kernelCounted, 0);
    t.equal(e.lost.kernelDroppedUnattributed, 0);
    t.ok(e.lost.kernelDropped > 0, `kernel drops by serial: ${e.lost.kernelDropped}`);
    t.equal(e.silentLoss, lies.discard, `silent loss ${e.silentLoss} = ${lies.discard} discarded`);
    t.equal(e.logged + e.lost.kernelDropped + lies.discard, e.generated, 'every event is logged, dropped by the kernel, or discarded');
  });

  t.equal(settingsSnapshot(), settings, 'settings (audit, printk) as found');
  t.equal(rulesSnapshot(), rules, 'rules as found');
});
