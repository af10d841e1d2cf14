// The verdicts faults give on their own effect, and which faults can apply to which daemon:
// pure logic over measured figures (the measuring itself is in host-faults and slow-disk-run).
import t from 'tap';
import { fuseEffect, throttleEffect, RATE_TOLERANCE } from '../../../harness/faults/slow-disk.ts';
import { squeezeEffect } from '../../../harness/faults/memory-squeeze.ts';
import { effectAssertions, type FaultWindowRecord } from '../../../harness/faults/timeline.ts';
import { faultApplicability, faultApplicabilityErrors, type HostFaultSupport } from '../../../harness/faults/applicability.ts';
import { faultSpec } from './host-context.ts';

const MiB = 1024 * 1024;

t.test('fuse slow-disk: in effect within the rate tolerance and the latency; a log that outruns either fails by its figure', async (t) => {
  const d = (bps: number, minUs: number) => ({ writes: 100, bytesWritten: 409600, achievedBytesPerSec: bps, minWriteUs: minUs, meanWriteUs: minUs, maxWriteUs: minUs, logDir: '/x' });
  t.ok(fuseEffect({ rate: MiB }, d(MiB * 1.2, 4000)).ok, '1.2 x the rate is within the tolerance');
  const over = fuseEffect({ rate: MiB }, d(MiB * (RATE_TOLERANCE + 0.01), 4000));
  t.notOk(over.ok);
  t.match(over.measured, '1.26 MiB/s');
  t.match(over.fix, /over the rate/);
  t.ok(fuseEffect({ latency: 200 }, d(1000, 200_500)).ok, 'every write >= 200 ms');
  const fast = fuseEffect({ latency: 200 }, d(1000, 150_000));
  t.notOk(fast.ok);
  t.match(fast.fix, /150\.0 ms, under the latency/);
  const none = fuseEffect({ rate: MiB }, { writes: 0 });
  t.notOk(none.ok);
  t.match(none.measured, 'no write reached the log');
});

t.test('cgroup-throttle slow-disk: buffered writes that outran it are named, with the method to use', async (t) => {
  const ok = throttleEffect({ rate: MiB }, { method: 'blkio-throttle', logBytesGrown: 2 * MiB, logBytesPerSec: MiB, deviceWriteIos: 40, deviceBytesPerSec: MiB, deviceMsPerWrite: 25 });
  t.ok(ok.ok, ok.measured);
  const escaped = throttleEffect({ rate: 2 * MiB }, { method: 'blkio-throttle', logBytesGrown: 1.97e9, logBytesPerSec: 66e6, deviceWriteIos: 10, deviceBytesPerSec: 5e6, deviceMsPerWrite: 1 });
  t.notOk(escaped.ok, escaped.measured);
  t.match(escaped.measured, 'log grew 62.94 MiB/s');
  t.match(escaped.fix, /buffered writes escaped the blkio-throttle throttle.*method: auto or fuse/);
});

t.test('memory-squeeze: reached, pinned at the usage, or refused (with the lowest limit to ask for)', async (t) => {
  const base = { targetBytes: 16 * MiB, originalBytes: 256 * MiB, usageAtStartBytes: 64 * MiB, usageAtEndBytes: 64 * MiB };
  t.ok(squeezeEffect({ ...base, reachedBytes: 16 * MiB }).ok, 'target reached');
  const pinned = squeezeEffect({ ...base, reachedBytes: 65 * MiB });
  t.ok(pinned.ok);
  t.match(pinned.measured, 'pinned at the usage');
  const refused = squeezeEffect({ ...base, reachedBytes: 200 * MiB });
  t.notOk(refused.ok);
  t.match(refused.fix, /at least 200\.0 MiB/);
});

t.test('effectAssertions: one per window; an unapplied fault fails with its error', async (t) => {
  const w = (over: Partial<FaultWindowRecord>): FaultWindowRecord => ({ kind: 'slow-disk', index: 0, occurrence: 0, startMs: 0, endMs: 1000, detail: {}, ...over });
  const a = effectAssertions([
    w({ effect: { ok: true, measured: 'log writes 1.00 MiB/s', expected: '<= 1.25 x 1.00 MiB/s' } }),
    w({ occurrence: 1, effect: { ok: false, measured: 'log grew 62.94 MiB/s', expected: 'log <= 1.25 x 2.00 MiB/s', fix: 'use method: auto or fuse' } }),
    w({ kind: 'freeze-fs', index: 1, error: 'faults[1] (freeze-fs): no log volume' }),
  ]);
  t.same(a.map((x) => [x.name, x.ok]), [['slow-disk#0 took effect', true], ['slow-disk#0.1 took effect', false], ['freeze-fs#1 took effect', false]]);
  t.equal(a[1]!.detail, 'log grew 62.94 MiB/s: use method: auto or fuse');
  t.equal(a[2]!.actual, 'not applied');
  t.match(a[2]!.detail, 'no log volume');
});

t.test('faultApplicability: what a daemon and a host can take', async (t) => {
  const v1fuse: HostFaultSupport = { cgroupVersion: 1, io: true, cpu: true, fuseUnavailable: null };
  const v2nofuse: HostFaultSupport = { cgroupVersion: 2, io: true, cpu: true, fuseUnavailable: 'no /dev/fuse' };
  const disk = faultSpec('{kind: slow-disk, rate: 1MiB/s}');
  t.same(faultApplicability(disk, 'auditd', { host: v1fuse }), { applies: true });
  const cmd = faultApplicability(disk, 'command', { daemonLog: '/var/log/mine/audit.log' });
  t.notOk(cmd.applies);
  t.match(!cmd.applies && cmd.reason, /daemon\.log is \/var\/log\/mine\/audit\.log, which it cannot reach/);
  t.ok(faultApplicability(disk, 'command').applies, 'a command daemon logging under @LOGDIR@ (the default) is reached');
  t.ok(faultApplicability(disk, 'command', { daemonLog: '@LOGDIR@/x/audit.log' }).applies);
  t.notOk(faultApplicability(faultSpec('{kind: plugin-stall, for: 1s}'), 'command').applies, 'plugin-stall never reaches a command daemon');
  for (const k of ['{kind: freeze-fs, for: 1s}', '{kind: disk-full}', '{kind: plugin-stall, for: 1s}']) {
    t.notOk(faultApplicability(faultSpec(k), 'command', { daemonLog: '/tmp/x.log' }).applies, `${k} cannot apply to a command daemon logging elsewhere`);
    t.ok(faultApplicability(faultSpec(k), 'tsauditd').applies, `${k} applies to tsauditd`);
  }
  t.ok(faultApplicability(faultSpec('{kind: stall-daemon, for: 1s}'), 'command').applies, 'a stall applies to any daemon');
  const lat = faultSpec('{kind: slow-disk, latency: 200ms}');
  t.ok(faultApplicability(lat, 'auditd', { host: v1fuse }).applies);
  const noFuse = faultApplicability(lat, 'auditd', { host: v2nofuse });
  t.notOk(noFuse.applies, 'latency without fuse');
  t.match(!noFuse.applies && noFuse.reason, /latency needs the fuse method.*no \/dev\/fuse/);
  t.notOk(faultApplicability(faultSpec('{kind: slow-disk, rate: 1MiB/s, method: io-max}'), 'auditd', { host: v1fuse }).applies, 'io-max on v1');
  t.ok(faultApplicability(faultSpec('{kind: slow-disk, rate: 1MiB/s}'), 'auditd', { host: v2nofuse }).applies, 'auto falls back to io-max for a rate');
  t.notOk(faultApplicability(faultSpec('{kind: slow-disk, rate: 1MiB/s, method: dm-delay}'), 'auditd', { host: v1fuse }).applies);
  const squeeze = faultSpec('{kind: memory-squeeze, memory_limit: 512MiB}');
  t.notOk(faultApplicability(squeeze, 'auditd', { daemonMemoryLimitBytes: 256 * MiB }).applies, 'a squeeze above the limit squeezes nothing');
  t.same(faultApplicabilityErrors([disk, squeeze], 'command', { daemonMemoryLimitBytes: 256 * MiB, daemonLog: '/tmp/x.log' }).map((e) => e.slice(0, 28)),
    ['faults[0] (slow-disk): it ac', 'faults[0] (memory-squeeze): ']);
});

t.test('slow-disk schema: rate, latency or both; latency only with auto or fuse', async (t) => {
  t.equal(faultSpec('{kind: slow-disk, latency: 200ms}').kind, 'slow-disk');
  t.throws(() => faultSpec('{kind: slow-disk}'), /a rate \(SIZE\/s\), a latency/);
  t.throws(() => faultSpec('{kind: slow-disk, latency: 200ms, method: blkio-throttle}'), /latency needs method auto or fuse/);
});
