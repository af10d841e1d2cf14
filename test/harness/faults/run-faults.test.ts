// The daemon-side faults through the runner, against Debian's auditd on the real kernel: each
// shows its symptom in the run's own records (metrics.jsonl, summary.json) and the machine is
// left as found. A few seconds of load each.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, rulesSnapshot, settingsSnapshot } from '../../helpers/kernel.ts';
import { validateScenario } from '../../../harness/scenario/load-scenario.ts';
import { runScenario } from '../../../harness/run/run-scenario.ts';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';
import { readMetrics } from '../../../harness/metrics/metrics-reader.ts';
import type { MetricsEvent } from '../../../harness/metrics/metrics-types.ts';
import { execFileSync } from 'node:child_process';
import { windowName } from '../../../harness/faults/timeline.ts';

const hasAuditd = (() => { try { execFileSync('which', ['auditd']); return true; } catch { return false; } })();
const skip = !isRoot ? 'needs root' : !hasAuditd ? 'needs Debian auditd (apt-get install auditd)' : false;

async function runWith(t: Test, name: string, body: string[]): Promise<{ summary: RunSummary; events: MetricsEvent[] }> {
  const out = mkdtempSync(join(tmpdir(), 'auditstorm-runfault-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();
  const scenario = validateScenario([
    `name: ${name}`, 'description: fault test', 'rules: openat-storm.rules',
    'kernel: {backlog_limit: 1024, backlog_wait_time: 500ms}',
    ...body,
  ].join('\n'));
  const o = await runScenario({ scenario, outRoot: out, lockWaitMs: 300_000 });
  const { events } = await readMetrics(join(o.dir, 'metrics.jsonl'));
  t.equal(settingsSnapshot(), settings, 'kernel settings as found');
  t.equal(rulesSnapshot(), rules, 'rules as found');
  t.equal(o.summary.ended, 'completed');
  t.ok(o.summary.assertions.find((a) => a.name === 'faults applied and undone')?.ok, `faults applied: ${o.summary.warnings.join('; ')}`);
  for (const w of o.summary.faults) {
    t.ok(events.some((e) => e.event === 'fault-start' && e.kind === w.kind && e.occurrence === w.occurrence), `fault-start of ${w.kind}.${w.occurrence} in metrics.jsonl`);
    if (w.endMs !== null) t.ok(events.some((e) => e.event === 'fault-end' && e.kind === w.kind && e.occurrence === w.occurrence), `fault-end of ${w.kind}.${w.occurrence}`);
    const a = o.summary.assertions.find((x) => x.name === `${windowName(w)} took effect`);
    t.ok(a?.ok, `${windowName(w)} took effect: ${a?.actual}${a?.detail ? ` (${a.detail})` : ''}`);
    t.same(w.effect && { ok: w.effect.ok, measured: w.effect.measured }, { ok: a?.ok, measured: a?.actual }, 'summary.json faults[].effect is what the assertion says');
  }
  return { summary: o.summary, events };
}

t.test('stall-daemon: the kernel backlog fills while the daemon is stopped, and drains after', { skip }, async (t) => {
  const { summary } = await runWith(t, 'fault-stall', [
    'duration: 4s', 'daemon: {name: auditd}',
    'loads: [{generator: open-close, processes: 1, rate: 3000}]',
    'faults: [{kind: stall-daemon, at: 1500ms, for: 1500ms}]',
  ]);
  const w = summary.faults[0]!;
  t.equal(w.detail.state, 'T', 'the daemon was stopped');
  t.not(w.detail.stateAfter, 'T', 'and continued');
  t.ok(w.endMs! - w.startMs >= 1400, `window ${w.startMs}..${w.endMs}`);
  const r = summary.recovery[0]!;
  t.ok(r.backlogPeakDuring! >= 1024, `kernel backlog peaked at ${r.backlogPeakDuring} (limit 1024) during the stall`);
  t.ok(r.recoveryMs !== null && r.recoveryMs < 5000, `back under the level ${r.recoveryMs} ms after the stall`);
  t.ok(summary.assertions.some((a) => a.name === 'recovery after stall-daemon#0'));
});

t.test('crash: the daemon is SIGKILLed and restarted twice; its pid changes, the run goes on', { skip }, async (t) => {
  const { summary, events } = await runWith(t, 'fault-crash', [
    'duration: 4500ms', 'daemon: {name: auditd}',
    'loads: [{generator: open-close, processes: 1, rate: 2000}]',
    'faults: [{kind: crash, at: 1s, restart_after: 500ms, repeat: {every: 2s, times: 2}}]',
  ]);
  t.equal(summary.faults.length, 2);
  const pids = new Set<number>();
  for (const w of summary.faults) {
    t.equal(w.detail.restarted, true);
    t.not(w.detail.newPid, w.detail.killedPid, `pid ${w.detail.killedPid} -> ${w.detail.newPid}`);
    pids.add(w.detail.killedPid as number).add(w.detail.newPid as number);
  }
  t.equal(pids.size, 3, 'three daemon processes in all');
  const seen = new Set(events.filter((e) => e.event === 'daemon-pid').map((e) => e.pid));
  t.ok(seen.size >= 3, `the sampler followed the pids: ${[...seen].join(', ')}`);
  t.ok(summary.assertions.find((a) => a.name === 'daemon ran to the end')?.ok, 'a crash on purpose is not a death');
  t.ok(summary.metrics.events.logged > 0);
});

t.test('plugin-stall: the dispatcher plugin is stopped and reads nothing, then reads again', { skip }, async (t) => {
  const { summary } = await runWith(t, 'fault-plugin', [
    'duration: 4s', 'daemon: {name: auditd}',
    'loads: [{generator: open-close, processes: 1, rate: 2000}]',
    'faults: [{kind: plugin-stall, at: 1500ms, for: 1500ms}]',
  ]);
  const d = summary.faults[0]!.detail as { pids: number[]; states: string[]; commands: string[]; bytesReadAtStart: number; bytesReadDuringStall: number; statesAfter: string[] };
  t.ok(d.pids.length >= 2, `the plugin's shell and its cat: ${d.commands.join(' | ')}`);
  t.ok(d.states.every((s) => s === 'T'), `stopped: ${d.states}`);
  t.ok(d.bytesReadAtStart > 0, `it had read ${d.bytesReadAtStart} bytes before`);
  t.equal(d.bytesReadDuringStall, 0, 'nothing read while stopped');
  t.ok(d.statesAfter.every((s) => s !== 'T'), 'continued');
});

t.test('late-start: the load runs before the daemon exists; it registers later and logs', { skip }, async (t) => {
  const { summary, events } = await runWith(t, 'fault-late', [
    'duration: 3500ms', 'daemon: {name: auditd}',
    'loads: [{generator: open-close, processes: 1, rate: 2000}]',
    'faults: [{kind: late-start, at: 1500ms}]',
  ]);
  const w = summary.faults[0]!;
  t.ok(w.endMs! - w.startMs >= 1400, `no daemon for ${w.endMs! - w.startMs} ms`);
  const firstPid = events.find((e) => e.event === 'daemon-pid');
  t.ok(firstPid && firstPid.t >= w.startMs + 1400, `first daemon pid seen at ${firstPid?.t} ms`);
  t.ok(summary.metrics.events.logged > 0, `logged ${summary.metrics.events.logged}`);
  t.ok(typeof w.detail.rssAtStartBytes === 'number');
});

t.test('burst: extra load processes for the window, counted in what the run generated', { skip }, async (t) => {
  const { summary } = await runWith(t, 'fault-burst', [
    'duration: 3s', 'daemon: {name: auditd}',
    'loads: [{name: base, generator: open-close, processes: 1, rate: 1000}]',
    'faults: [{kind: burst, at: 1s, for: 1s, generator: open-close, processes: 1, rate: 5000}]',
  ]);
  const b = summary.loads['burst0-0'];
  t.ok(b && b.auditedSyscalls > 2000, `the burst made ${b?.auditedSyscalls} audited syscalls in its second`);
  t.equal(summary.metrics.events.generated, summary.loads.base!.auditedSyscalls + b!.auditedSyscalls, 'generated = base + burst');
  t.equal(summary.faults[0]!.detail.generated, b!.auditedSyscalls);
});

// slow-disk through the runner: the daemon's own log writes, measured by slowfs under the log.
// auditd writes its log with stdio (buffered writes) and, with flush none or incremental_async,
// never waits for the disk itself: only a layer under every write() slows it.
for (const flush of ['none', 'incremental_async']) {
  t.test(`slow-disk (fuse) with auditd flush ${flush}: the log's writes held to the rate, then each given the latency`, { skip }, async (t) => {
    const rate = 256 * 1024;
    const { summary } = await runWith(t, `fault-slow-${flush.replace('_', '-')}`, [
      // a 2.5 s rate window: one of 1.5 s saw no write at all once, in a suite run beside the
      // parallel lane (the daemon or its load held off the CPU for over a second)
      'duration: 5500ms', `daemon: {name: auditd, config: {flush: ${flush}, freq: 50}}`,
      'loads: [{generator: open-close, processes: 1, rate: 2000}]',
      'faults: [{kind: slow-disk, at: 1s, for: 2500ms, rate: 256KiB/s}, {kind: slow-disk, at: 4s, for: 1s, latency: 20ms}]',
    ]);
    const [r, l] = summary.faults as [typeof summary.faults[0], typeof summary.faults[0]];
    t.equal(r.detail.method, 'fuse');
    const achieved = r.detail.achievedBytesPerSec as number;
    t.ok(Math.abs(achieved - rate) <= 0.25 * rate,
      `the log's writes went at ${(achieved / 1024).toFixed(0)} KiB/s for a 256 KiB/s rate (${r.detail.writes} writes, ${r.detail.bytesWritten} B in ${r.detail.windowSeconds} s)`);
    t.ok((l.detail.minWriteUs as number) >= 20_000,
      `every log write took >= 20 ms: min ${l.detail.minWriteUs} µs, mean ${l.detail.meanWriteUs} µs over ${l.detail.writes} writes`);
    t.ok(summary.metrics.events.logged > 0, `logged ${summary.metrics.events.logged} events`);
  });
}
