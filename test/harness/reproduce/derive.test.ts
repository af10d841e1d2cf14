// Parsing and derivation on the two example bundles and on bad bundles (pure: no kernel).
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveFromBundle, UnusableBundleError } from '../../../harness/reproduce/derive.ts';
import { BundleError } from '../../../harness/reproduce/bundle-files.ts';
import { scaleToHost } from '../../../harness/reproduce/scale.ts';
import { buildScenario } from '../../../harness/reproduce/build-scenario.ts';
import { findBursts } from '../../../harness/reproduce/parse-log.ts';

const bundles = fileURLToPath(new URL('../../../loads/bundles/', import.meta.url));

t.test('2009 runaway: old-format status, rules rescoped, OOM report, memory symptom', async (t) => {
  const d = deriveFromBundle(join(bundles, '2009-runaway'));
  t.equal(d.kernel.backlogLimit.value, 320);
  t.equal(d.kernel.backlogLimit.source, 'auditctl-s.txt:1');
  t.ok(d.kernel.backlogWaitTimeMs.isDefault, 'no backlog_wait_time in a 2009 auditctl -s: a stated default');
  t.match(d.kernel.backlogWaitTimeMs.note, /default/);
  // rules: every rule scoped; the field's auid>=500/!=unset replaced; watches converted
  t.equal(d.rules.rules.length, 5);
  for (const r of d.rules.rules) t.match(r.rule, /-F auid=@AUID@/);
  t.notOk(d.rules.rules.some((r) => /auid>=|auid!=/.test(r.rule)));
  t.ok(d.rules.rules.some((r) => r.watch?.path === '/etc/passwd' && /-F path=\/etc\/passwd -F perm=wa/.test(r.rule)));
  t.ok(d.bundle.ignored.some((i) => i.where === 'audit.rules:2' && /-D/.test(i.why)), '-D is reported as ignored');
  // the open-close generator makes openat, which the 2009 rules (open) do not audit: a rule is added, with the reason
  t.ok(d.rules.added.some((a) => /-S openat/.test(a.rule)));
  // load profile from the log's timestamps
  t.equal(d.load.meanEventsPerSec.value, 1450);
  t.equal(d.load.peakEventsPerSec.value, 2400);
  t.same(d.load.loads.map((l) => l.generator), ['open-close', 'fork-exec', 'user-message']);
  t.ok(Math.abs(d.load.loads[0].share - 0.8) < 0.01);
  t.same(d.load.loads[2].userTypes?.sort(), [1103, 1105]);
  // daemon config and memory
  t.equal(d.daemon.flush.value, 'incremental');
  t.equal(d.daemon.freq.value, 20);
  t.ok(d.daemon.qDepth.isDefault);
  t.equal(d.memory.availableBytes.note, 'no MemAvailable (kernels before 3.14): 80% of MemTotal');
  t.equal(d.memory.daemonRssAtOomBytes.value, 401286 * 4096);
  t.same(d.symptom.kinds.value, ['memory']);
  t.same(d.symptom.oomKills.map((k) => k.name), ['mysqld', 'httpd', 'httpd']);
  t.equal(d.symptom.daemonName, 'auditd');
});

t.test('backlog storm: modern status, ENRICHED rotated logs merged, bursts, loss symptom', async (t) => {
  const d = deriveFromBundle(join(bundles, 'backlog-storm'));
  t.equal(d.kernel.backlogLimit.value, 8192);
  t.equal(d.kernel.backlogWaitTimeMs.value, 60_000);
  t.match(d.kernel.backlogWaitTimeMs.note, /HZ 1000/);
  t.equal(d.kernel.lostAtCollection.value, 238412);
  t.equal(d.load.spanSec.source.startsWith('audit.log.1.gz, audit.log.gz'), true, 'rotated files read oldest first');
  t.equal(d.load.bursts.value.length, 2);
  t.same(d.load.bursts.value.map((b) => [b.startSec, b.lengthSec]), [[10, 6], [28, 6]]);
  t.ok(d.rules.rules.some((r) => /-F euid=0 -F auid=@AUID@/.test(r.rule)), 'euid=0 holds for the root loads: kept');
  t.ok(d.rules.rules.some((r) => /dir=@FIELDROOT@\/srv\/data/.test(r.rule)), 'a field dir this host lacks is mapped');
  t.same(d.symptom.kinds.value, ['loss']);
  t.equal(d.symptom.kernelLostDuringExcerpt.value, 238412 - 58211);
  t.ok(d.symptom.drainFraction.value > 0.2 && d.symptom.drainFraction.value < 0.3, `drain ${d.symptom.drainFraction.value}`);
  t.equal(d.daemon.qDepth.value, 1200);
  t.equal(d.daemon.flush.value, 'data');
  const user = d.load.loads.find((l) => l.generator === 'user-message');
  t.ok(user && user.userSizes!.some((z) => z.size > 5000), 'the large user records keep their size');
});

t.test('scaling and the derived scenario validate; statements say by how much', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const b of ['2009-runaway', 'backlog-storm']) {
    const d = deriveFromBundle(join(bundles, b));
    const s = scaleToHost(d, { hostMemAvailableBytes: 4 * 1024 ** 3, maxDurationMs: 20_000 });
    t.ok(s.memory.factor < 0.1, `${b}: memory scaled down (${s.memory.factor})`);
    t.match(s.statements.join('\n'), /memory: .*0\.0\d+x/);
    t.ok(s.time.runDurationMs >= 10_000 && s.time.runDurationMs <= 20_000);
    t.equal(s.kernel.backlogWaitTimeMs, 2000, 'caller waits capped on this shared host, and said');
    const built = buildScenario(d, s, join(dir, b), `reproduce-${b}`);
    t.equal(built.scenario.daemon.name, 'tsauditd');
    t.equal(built.scenario.daemon.memoryLimitBytes, s.memory.memoryLimitBytes);
    t.ok(built.scenario.loads.length >= 2);
  }
  // a field rate beyond the host is scaled with memory and time together
  const d = deriveFromBundle(join(bundles, '2009-runaway'));
  const s = scaleToHost(d, { hostMaxEventsPerSec: 1200, hostMemAvailableBytes: 4 * 1024 ** 3 });
  t.equal(s.rate.factor, 0.5);
  t.match(s.rate.why, /scaled by 0\.500x/);
});

t.test('bursts: seconds above 3x the median, merged', async (t) => {
  t.same(findBursts([10, 10, 10, 100, 120, 10, 10, 90, 10]).map((b) => [b.startSec, b.lengthSec]), [[3, 2], [7, 1]]);
  t.same(findBursts([10, 10, 10]), []);
});

function bundle(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bad-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

t.test('bad bundles', async (t) => {
  t.throws(() => deriveFromBundle('/nonexistent/bundle'), BundleError);
  const empty = bundle(t, {});
  t.throws(() => deriveFromBundle(empty), UnusableBundleError, 'an empty directory is unusable');
  try {
    deriveFromBundle(empty);
  } catch (err) {
    t.match((err as Error).message, /is empty/);
  }
  const junk = bundle(t, { 'a.txt': 'hello\nworld\n', 'b.bin': '\u0000\u0001\u0002binary', 'c.log': '' });
  try {
    deriveFromBundle(junk);
    t.fail('should be unusable');
  } catch (err) {
    t.type(err, UnusableBundleError);
    const ignored = (err as UnusableBundleError).derivedSoFar.bundle.ignored;
    t.ok(ignored.some((i) => i.where === 'b.bin' && /binary/.test(i.why)));
    t.ok(ignored.some((i) => i.where === 'c.log' && /empty/.test(i.why)));
  }
  // usable, with unparseable lines and contradictions reported
  const mixed = bundle(t, {
    'status.txt': 'enabled 1\nfailure 1\nbacklog_limit 8192\nbacklog_limit_bogus x\nlost 5\n',
    'audit.rules': '-b 320\n-a always,exit -F arch=b64 -S openat -F auid>=1000 -k x\n-a always,exit -S nosuchcall -F auid=1\n-e 2\n',
    'audit.log': [
      'type=SYSCALL msg=audit(1700000000.001:1): arch=c000003e syscall=257 success=yes exit=3 auid=1000 key="x"',
      'type=PATH msg=audit(1700000000.001:1): item=0 name="/a"',
      'garbage line here',
      'type=SYSCALL msg=audit(11/14/2023 22:13:20.001:2) : arch=x86_64 syscall=openat',
      'type=SYSCALL msg=audit(1700000001.001:3): arch=c000003e syscall=257 success=yes exit=3 auid=1000 key="x"',
    ].join('\n'),
  });
  const d = deriveFromBundle(mixed);
  t.equal(d.kernel.backlogLimit.value, 8192, 'auditctl -s wins over the rules file');
  t.ok(d.bundle.contradictions.some((c) => c.figure === 'backlog_limit' && c.ignored.value === '320'));
  t.ok(d.bundle.ignored.some((i) => /status.txt:4/.test(i.where)));
  t.ok(d.bundle.ignored.some((i) => i.where === 'audit.rules:3' && /nosuchcall/.test(i.why)), 'an unknown syscall is ignored with the compiler\'s reason');
  t.ok(d.bundle.ignored.some((i) => i.where === 'audit.log:3'), 'a garbage log line is ignored');
  t.ok(d.bundle.ignored.some((i) => i.where === 'audit.log:4' && /ausearch -i/.test(i.why)), 'interpreted form explained');
  t.equal(d.load.loads[0].generator, 'open-close');
  t.ok(d.memory.totalBytes.isDefault, 'no meminfo: a stated default');
  t.equal(d.kernel.enabled.value, 1, 'the live status (enabled 1) over the rules file\'s -e 2');
  t.ok(d.bundle.contradictions.some((c) => c.figure === 'enabled' && c.ignored.value === '2'));
});
