// Debian's auditd forwarding with audisp-remote to a collector auditd, run through the command
// daemon on the real kernel: a library scenario runs unchanged (--daemon command --command ...)
// and its accounting matches what ausearch finds in the collector's log; the collector stall
// and crash scenarios (shortened) apply their fault to the collector; whatever happens, both
// auditds are gone, nothing listens, the host's audisp-remote.conf is untouched and the kernel
// is as found.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, PROJECT_ROOT, validateScenario } from '../../../harness/scenario/load-scenario.ts';
import { runScenario, type RunOutcome } from '../../../harness/run/run-scenario.ts';
import { takeHostSnapshot, diffHostSnapshot } from '../../../harness/host/host-snapshot.ts';
import { skipUnlessRoot } from '../../helpers/kernel.ts';
import { eventsMissing, namedLoss } from '../../../harness/verdict/accounting.ts';

const WRAPPER = join(PROJECT_ROOT, 'loads/forwarding/auditd-audisp-remote.sh');
const skip = skipUnlessRoot || (existsSync('/sbin/audisp-remote') ? false : 'needs audispd-plugins (auditstorm setup installs it)');
const HOST_CONF = '/etc/audit/audisp-remote.conf';
/** Distinct events of `auid` in a log by ausearch (an independent parser), less the load
 *  processes' own LOGIN events (setting their auid), which the accounting does not count. */
function ausearchEvents(log: string, auid: number): number {
  let out = '';
  try {
    out = execFileSync('ausearch', ['-if', log, '-ua', String(auid), '--raw'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? ''); // exit 1: no matches
  }
  const serial = (l: string) => /msg=audit\(([\d.]+:\d+)\)/.exec(l)?.[1];
  const syscalls = new Set<string>();
  const logins = new Set<string>();
  for (const l of out.split('\n')) {
    const id = serial(l);
    if (!id) continue;
    if (l.startsWith('type=SYSCALL ')) syscalls.add(id);
    if (l.startsWith('type=LOGIN ')) logins.add(id);
  }
  return [...syscalls].filter((id) => !logins.has(id)).length;
}

function leftovers(): string[] {
  const out: string[] = [];
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => /auditd -n -c .*command\/conf|audisp-remote$/.test(l));
  out.push(...ps.map((l) => `process left: ${l.trim()}`));
  const listening = readFileSync('/proc/net/tcp6', 'utf8').split('\n').concat(readFileSync('/proc/net/tcp', 'utf8').split('\n'))
    .filter((l) => / 0A /.test(l) && /:003C /.test(l.split(/\s+/)[2] ?? ''));
  out.push(...listening.map((l) => `listening on port 60 in the host's namespace: ${l.trim()}`));
  return out;
}

t.test('auditd + audisp-remote through --daemon command', { skip, timeout: 240_000 }, async (t) => {
  const found = takeHostSnapshot();
  const hostConf = readFileSync(HOST_CONF, 'utf8');
  const out = mkdtempSync(join(tmpdir(), 'forwarding-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const after = (t: { same: (a: unknown, b: unknown, m: string) => void; equal: (a: unknown, b: unknown, m: string) => void; ok: (a: unknown, m: string) => void }, o: RunOutcome) => {
    t.same(leftovers(), [], 'both auditds and the plugin gone; nothing listening');
    t.equal(readFileSync(HOST_CONF, 'utf8'), hostConf, "the host's audisp-remote.conf untouched");
    t.same(diffHostSnapshot(found, takeHostSnapshot()), [], 'kernel, rules, cgroups, mounts as found');
    t.ok(existsSync(join(o.dir, 'command/conf/audisp-remote.conf')), 'the config lived in the run\'s @CONFDIR@');
  };

  await t.test('a library scenario, unchanged: the accounting matches the collector\'s log', async (t) => {
    const s = loadScenario(join(PROJECT_ROOT, 'loads/scenarios/steady-openat.yaml'),
      { daemon: 'command', command: `${WRAPPER} @CONFDIR@ @LOG@`, duration: '3s' });
    t.match(s.source.warnings.join('\n'), /daemon\.config flush, freq: not applied/, 'the unapplied config keys are named');
    const o = await runScenario({ scenario: s, outRoot: out, lockWaitMs: 300_000 });
    const ev = o.summary.metrics.events;
    t.ok(ev.generated > 5000, `generated ${ev.generated}`);
    const log = join(o.dir, 'command/log/audit.log');
    const independent = ausearchEvents(log, o.summary.auid);
    t.equal(ev.logged, independent, `logged ${ev.logged} = ausearch's count in the collector's log ${independent}`);
    // a steady 4k events/s is well within the forwarding's reach: (nearly) all of it arrives, so
    // the equality above is not two zeros (a plugin that never started made both 0: the run
    // directory under tmpdir gave audisp-remote.conf a line past its parser's 127 characters)
    t.ok(ev.logged >= ev.generated * 0.99, `the collector logged ${ev.logged} of ${ev.generated}`);
    t.equal(eventsMissing(ev), ev.generated - (ev.logged - ev.unexpected), 'missing = generated - expected logged');
    t.comment(`${o.summary.verdict}: generated ${ev.generated}, logged ${ev.logged}, silent loss ${ev.silentLoss}, duplicates ${ev.duplicates}`);
    after(t, o);
  });

  for (const [file, kind] of [['collector-stall.yaml', 'stall-daemon'], ['collector-crash.yaml', 'crash']] as const) {
    await t.test(`${file} (shortened): the fault hits the collector, the accounting reads its log`, async (t) => {
      const path = join(PROJECT_ROOT, 'loads/forwarding', file);
      const text = readFileSync(path, 'utf8').replace(/^duration: 20s$/m, 'duration: 8s').replace(/^    at: 5s$/m, '    at: 2s')
        .replace(/^    for: 8s$/m, '    for: 3s').replace(/^    restart_after: 5s$/m, '    restart_after: 4s');
      const s = validateScenario(text, { path });
      const o = await runScenario({ scenario: s, outRoot: out, lockWaitMs: 300_000 });
      const w = o.summary.faults.find((f) => f.kind === kind);
      t.ok(w, 'the fault ran');
      t.equal(w?.detail.process, 'collector');
      if (kind === 'stall-daemon') t.equal(w?.detail.state, 'T', 'the collector was stopped');
      else t.equal(w?.detail.restarted, true, `the supervisor restarted the collector (pid ${w?.detail.killedPid} -> ${w?.detail.newPid})`);
      const ev = o.summary.metrics.events;
      t.equal(ev.logged, ausearchEvents(join(o.dir, 'command/log/collector.log'), o.summary.auid), 'logged = ausearch on the collector\'s log');
      // stalled, audisp-remote holds the events and sends them on (13,611 of 13,682 here); killed
      // 2 s into 8 s, at least the events from before the crash arrive (3,997 of 14,027 in one run)
      if (kind === 'stall-daemon') t.ok(ev.logged > ev.generated * 0.9, `the collector logged ${ev.logged} of ${ev.generated} (the stalled events arrive)`);
      else t.ok(ev.logged > ev.generated / 8, `the collector logged ${ev.logged} of ${ev.generated} (the events before the crash arrive)`);
      t.comment(`${o.summary.verdict}: generated ${ev.generated}, logged ${ev.logged}, named loss ${namedLoss(ev)}, silent loss ${ev.silentLoss}, duplicates ${ev.duplicates}`);
      after(t, o);
    });
  }
});
