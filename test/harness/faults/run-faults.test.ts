// The daemon-side faults through the runner, against Debian's auditd on the real kernel: each
// shows its symptom in the run's own records (metrics.jsonl, summary.json) and the machine is
// left as found. A few seconds of load each. slow-disk, which asserts a write rate, is in
// run-faults-slow-disk.test.ts (it runs alone).
import t from 'tap';
import { runWith, skip } from './run-with.ts';

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
  // the stopped daemon read nothing for 1.5 s: a caller's 500 ms wait ran out, which the
  // longest op shows and the run warns of
  const k = summary.metrics.kernel;
  t.ok(k.longestAuditedOpMs !== null && k.longestAuditedOpMs + 1000 / summary.host.hz >= k.backlogWaitTimeMs,
    `longest audited op ${k.longestAuditedOpMs} ms, backlog_wait_time ${k.backlogWaitTimeMs} ms`);
  t.ok(summary.warnings.some((w) => /at least backlog_wait_time/.test(w)), `warned: ${summary.warnings.join('; ')}`);
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
  // The sampler follows the daemon: every pid that was the daemon for 5 sample periods or more
  // was sampled. A restart that took long on a busy host can leave a pid less than that (from
  // its registration to the next kill), which no 10 Hz sampler is bound to see.
  const ws = summary.faults;
  const lives = [{ pid: ws[0]!.detail.killedPid as number, from: 0, to: ws[0]!.startMs },
    ...ws.map((w, i) => ({ pid: w.detail.newPid as number, from: w.endMs!, to: ws[i + 1]?.startMs ?? summary.durationMs }))];
  const long = lives.filter((l) => l.to - l.from >= 500);
  t.ok(long.length >= 2, `at least the first and the last daemon lived 500 ms: ${JSON.stringify(lives)}`);
  for (const l of long) t.ok(seen.has(l.pid), `pid ${l.pid}, the daemon from ${l.from} to ${l.to} ms, was sampled (seen: ${[...seen].join(', ')})`);
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
