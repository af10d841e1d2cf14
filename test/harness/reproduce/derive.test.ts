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
  // the dispatcher (disp_qos = lossless, a slow link in the notes) was the slow part: the log is complete
  t.equal(d.drain.bottleneck.value, 'consumer');
  t.match(d.drain.bottleneck.source, /notes\.txt:3.*auditd\.conf:11/);
  t.equal(d.drain.offeredPeakEventsPerSec.value, 2400, 'the log\'s busiest second is what was offered');
  t.ok(d.drain.drainEventsPerSec.isDefault, 'no pace figure: a stated default');
  t.same(d.bundle.noteFigures.killed.map((k) => [k.value, k.where]), [['mysqld', 'notes.txt:5'], ['httpd', 'notes.txt:5']]);
  t.equal(d.bundle.noteFigures.daemonRssBytes[0].value, 1.5e9, '"1.5 GB" read with its unit (decimal)');
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
  // the disk (flush = DATA, "busy disk") held auditd back: its log's busiest second is its drain
  t.equal(d.drain.bottleneck.value, 'disk');
  t.match(d.drain.bottleneck.source, /notes\.txt:4.*auditd\.conf:6/);
  t.equal(d.drain.drainEventsPerSec.value, d.load.peakEventsPerSec.value);
  t.ok(d.drain.offeredPeakEventsPerSec.value > 4 * d.drain.drainEventsPerSec.value, 'lost records were offered on top');
  t.equal(d.drain.diskBytesPerSec.value, Math.round(d.load.peakEventsPerSec.value * d.load.eventBytes.value));
  const s = scaleToHost(d, { hostMemAvailableBytes: 4 * 1024 ** 3 });
  t.equal(s.drain.via, 'slow-disk', 'a slow disk, not a paced plugin');
  t.ok(s.overload.peakOffered > 3 * s.overload.drain);
});

t.test('af-unix slow client: syslog daemon messages, node= prefixes, a consumer pace in the notes', async (t) => {
  const d = deriveFromBundle(join(bundles, 'af-unix-slow-client'));
  t.same(d.symptom.kinds.value, ['loss'], 'the plugin queue overflowed; no OOM, lost 0');
  t.equal(d.symptom.pluginQueueFullLines, 6);
  t.equal(d.kernel.lostAtCollection.value, 0);
  t.equal(d.daemon.flush.value, 'incremental_async');
  t.equal(d.drain.bottleneck.value, 'consumer');
  t.equal(d.drain.consumerBytesPerSec.value, 327680, 'recv(65536) per 200 ms');
  t.equal(d.drain.consumerBytesPerSec.source, 'notes.txt:3');
  t.equal(d.drain.offeredPeakEventsPerSec.value, 3000);
  t.equal(d.drain.offeredPeakEventsPerSec.source, 'notes.txt:4');
  t.equal(Math.round(d.drain.drainEventsPerSec.value), Math.round(327680 / d.load.eventBytes.value));
  t.ok(d.memory.totalBytes.isDefault, 'no meminfo: a stated default');
  t.notOk(d.symptom.kinds.value.includes('memory'), 'a 6 MB daemon in the notes is not a memory symptom');
  t.same(d.load.loads.map((l) => l.generator).sort(), ['file-write', 'open-close']);
  const s = scaleToHost(d, { hostMemAvailableBytes: 4 * 1024 ** 3 });
  t.equal(s.drain.via, 'paced-plugin');
  t.ok(s.overload.ratio > 3);
});

t.test('sync NFS backlog: ausearch output, remote syslog kernel lines, flush = SYNC, latency in the notes', async (t) => {
  const d = deriveFromBundle(join(bundles, 'sync-nfs-backlog'));
  t.same(d.symptom.kinds.value, ['loss']);
  t.equal(d.symptom.kernelLostDuringExcerpt.value, 615731 - 412388);
  t.equal(d.kernel.backlogLimit.value, 4096);
  t.equal(d.daemon.flush.value, 'sync');
  t.equal(d.load.loads[0].generator, 'fork-exec');
  t.equal(d.drain.bottleneck.value, 'disk');
  t.equal(d.drain.writeLatencyMs.value, 2.5);
  t.equal(d.drain.writeLatencyMs.source, 'notes.txt:10');
  t.equal(d.drain.offeredPeakEventsPerSec.value, 1200);
  t.equal(d.drain.drainEventsPerSec.value, d.load.peakEventsPerSec.value, 'the log\'s own rate');
  t.same(d.drain.warnings, [], '2.5 ms per record-write and the log\'s rate agree');
  t.notOk(d.symptom.kinds.value.includes('memory'), '"1.8M" in the notes is a small daemon');
  const dir = mkdtempSync(join(tmpdir(), 'repro-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = scaleToHost(d, { hostMemAvailableBytes: 4 * 1024 ** 3 });
  const built = buildScenario(d, s, dir, 'reproduce-sync-nfs');
  const fault = built.scenario.faults.find((f) => f.kind === 'slow-disk');
  t.ok(fault, 'a slow-disk fault');
  t.equal((fault as { rate: number }).rate, s.drain.diskBytesPerSec);
});

t.test('flags override what the bundle says, and are shown as flags', async (t) => {
  const d = deriveFromBundle(join(bundles, 'sync-nfs-backlog'), { offeredEventsPerSec: 5000, writeLatencyMs: 40, memoryBytes: 2 * 1024 ** 3 });
  t.equal(d.drain.offeredPeakEventsPerSec.value, 5000);
  t.equal(d.drain.offeredPeakEventsPerSec.source, 'flag --rate');
  t.equal(d.drain.writeLatencyMs.value, 40);
  t.equal(d.memory.availableBytes.source, 'flag --memory');
  // with a latency flag the log's rate no longer sets the drain: 1000/40 writes/s, one record each
  t.equal(Math.round(d.drain.drainEventsPerSec.value * 1000) / 1000, Math.round((25 / d.load.recordsPerEvent.value) * 1000) / 1000);
});

t.test('a drain at or above the offered load is corrected, and said', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log: string[] = [];
  for (let s = 0; s < 10; s++) for (let i = 0; i < 100; i++) {
    const st = `${1700000000 + s}.${String(i * 10).padStart(3, '0')}:${s * 100 + i}`;
    log.push(`type=SYSCALL msg=audit(${st}): arch=c000003e syscall=257 success=yes exit=3 auid=1000 key="x"`, `type=PATH msg=audit(${st}): item=0 name="/a"`);
  }
  writeFileSync(join(dir, 'audit.log'), `${log.join('\n')}\n`);
  // the notes say the consumer takes 10 MB/s: far more than the 100 events/s offered, yet the host ran out of memory
  writeFileSync(join(dir, 'notes.txt'), 'the forwarder plugin takes 10 MB/s\nthe OOM killer shot mysqld\n');
  writeFileSync(join(dir, 'auditd.conf'), 'flush = none\n');
  const d = deriveFromBundle(dir);
  t.same(d.symptom.kinds.value, ['memory']);
  t.equal(d.drain.bottleneck.value, 'consumer');
  t.ok(d.drain.offeredPeakEventsPerSec.value >= 1.25 * d.drain.drainEventsPerSec.value, 'offered load above the drain');
  t.match(d.drain.warnings.join('\n'), /raised/);
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
