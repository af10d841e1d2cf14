// Each host-side fault on the real machine (cgroups, a loop device, ext4, fsfreeze): the
// symptom it is meant to cause is measured, and ending it (and the session's undo) puts the
// host back. No audit daemon is needed: the "daemon" is a stand-in process in the run cgroup.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnlessRoot } from '../../helpers/kernel.ts';
import { FAULT_IMPLS } from '../../../harness/faults/kinds.ts';
import { procState } from '../../../harness/faults/process-tree.ts';
import { isMounted, loopDevicesOf } from '../../../harness/faults/log-volume.ts';
import { faultSpec, hostFixture } from './host-context.ts';

const MiB = 1024 * 1024;

/** Seconds a dd write of `mib` MiB takes inside the run cgroup. */
async function ddSeconds(fx: Awaited<ReturnType<typeof hostFixture>>, file: string, mib: number, flag: string | null): Promise<{ s: number; ok: boolean; stderr: string }> {
  const t0 = Date.now();
  const args = ['if=/dev/zero', `of=${file}`, 'bs=64k', `count=${mib * 16}`, ...(flag ? [`oflag=${flag}`] : [])];
  const r = await fx.spawnInGroup('dd', args);
  return { s: (Date.now() - t0) / 1000, ok: r.exitCode === 0, stderr: String(r.stderr ?? '') };
}

t.test('slow-disk: O_DSYNC writes to the log volume crawl at the rate; buffered ones escape; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('slow');
  t.teardown(() => fx.close());
  const fast = await ddSeconds(fx, join(fx.volume.mountPoint, 'a'), 2, 'dsync');
  t.ok(fast.ok, `unthrottled dsync write ok: ${fast.stderr}`);
  const applied = await FAULT_IMPLS['slow-disk'].apply(faultSpec('{kind: slow-disk, rate: 512KiB/s}'), fx.ctx, 0);
  t.equal(applied.detail.method, 'blkio-throttle');
  t.match(readFileSync(join(fx.cgroup.dirs.io!, 'blkio.throttle.write_bps_device'), 'utf8'), `${fx.volume.device} 524288`);
  t.ok(fx.undoKinds().includes('slow-disk'), 'undo recorded');
  const slow = await ddSeconds(fx, join(fx.volume.mountPoint, 'b'), 1, 'dsync');
  t.ok(slow.s >= 1.4, `1 MiB of O_DSYNC writes at 512 KiB/s took ${slow.s.toFixed(2)} s (unthrottled 2 MiB: ${fast.s.toFixed(2)} s)`);
  const buffered = await ddSeconds(fx, join(fx.volume.mountPoint, 'c'), 1, null);
  t.ok(buffered.s < 1, `buffered writes escape the throttle until writeback: ${buffered.s.toFixed(2)} s`);
  await applied.end();
  t.equal(readFileSync(join(fx.cgroup.dirs.io!, 'blkio.throttle.write_bps_device'), 'utf8').trim(), '', 'throttle removed');
  t.notOk(fx.undoKinds().includes('slow-disk'), 'undo record dropped');
  const after = await ddSeconds(fx, join(fx.volume.mountPoint, 'd'), 1, 'dsync');
  t.ok(after.s < slow.s / 2, `fast again: ${after.s.toFixed(2)} s`);
});

t.test('freeze-fs: a write blocks (state D) until the thaw, then completes; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('freeze');
  t.teardown(() => fx.close());
  const applied = await FAULT_IMPLS['freeze-fs'].apply(faultSpec('{kind: freeze-fs, for: 1s}'), fx.ctx, 0);
  t.ok(fx.undoKinds().includes('freeze-fs'));
  const t0 = Date.now();
  const writer = fx.spawnInGroup('dd', ['if=/dev/zero', `of=${join(fx.volume.mountPoint, 'w')}`, 'bs=4k', 'count=1', 'oflag=dsync']);
  let done = false;
  void writer.then(() => { done = true; });
  await sleep(700);
  t.notOk(done, 'the write has not completed on the frozen filesystem');
  t.equal(procState(writer.pid!), 'D', 'the writer sleeps uninterruptibly');
  await applied.end();
  const r = await writer;
  t.equal(r.exitCode, 0, 'the write completed after the thaw');
  t.ok(Date.now() - t0 >= 700, 'and not before it');
  t.notOk(fx.undoKinds().includes('freeze-fs'));
});

t.test('disk-full: writes meet ENOSPC while full, succeed once freed; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('full', { volumeBytes: 64 * MiB });
  t.teardown(() => fx.close());
  const applied = await FAULT_IMPLS['disk-full'].apply(faultSpec('{kind: disk-full}'), fx.ctx, 0);
  t.ok((applied.detail.freeAfterBytes as number) < 64 * 1024, `free after filling: ${applied.detail.freeAfterBytes} bytes`);
  const full = await ddSeconds(fx, join(fx.volume.mountPoint, 'x'), 1, null);
  t.notOk(full.ok, 'a 1 MiB write fails');
  t.match(full.stderr, /No space left on device/);
  await applied.end();
  t.ok(fx.volume.freeBytes() > 32 * MiB, 'space back');
  const ok = await ddSeconds(fx, join(fx.volume.mountPoint, 'y'), 1, null);
  t.ok(ok.ok, `writes succeed again: ${ok.stderr}`);
  t.notOk(fx.undoKinds().includes('disk-full'));
});

t.test('cpu-starve: the group is throttled to its quota; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('cpu');
  t.teardown(() => fx.close());
  const busy = fx.spawnInGroup('sh', ['-c', 'while :; do :; done']);
  t.teardown(() => { busy.kill('SIGKILL'); });
  const applied = await FAULT_IMPLS['cpu-starve'].apply(faultSpec('{kind: cpu-starve, cpu: 0.1}'), fx.ctx, 0);
  t.equal(readFileSync(join(fx.cgroup.dirs.cpu!, 'cpu.cfs_quota_us'), 'utf8').trim(), '10000');
  // utime + stime (fields 14, 15 of /proc/PID/stat), in USER_HZ ticks
  const cpuTicks = () => { const f = readFileSync(`/proc/${busy.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
  const ticks0 = cpuTicks();
  await sleep(1000);
  const ticks = cpuTicks() - ticks0;
  const more = await applied.end();
  t.ok((more as { throttledPeriods: number }).throttledPeriods >= 5, `throttled periods: ${JSON.stringify(more)}`);
  t.ok(ticks <= 30, `a busy loop got ${ticks} ticks (USER_HZ 100) in 1 s under a tenth of a core`);
  t.equal(readFileSync(join(fx.cgroup.dirs.cpu!, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1', 'quota removed');
  t.notOk(fx.undoKinds().includes('cpu-starve'));
});

t.test('memory-squeeze: lowered step by step to what the kernel accepts (v1 EBUSY), restored', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('mem');
  t.teardown(() => fx.close());
  const alloc = fx.spawnInGroup(process.execPath, [new URL('../../fixtures/alloc.mjs', import.meta.url).pathname, '--mib', '64']);
  t.teardown(() => { alloc.kill('SIGKILL'); });
  for (let i = 0; i < 100 && fx.cgroup.memoryUsage().usageBytes < 60 * MiB; i++) await sleep(50);
  const applied = await FAULT_IMPLS['memory-squeeze'].apply(faultSpec('{kind: memory-squeeze, memory_limit: 16MiB}'), fx.ctx, 0);
  const d = applied.detail as { reachedBytes: number; targetBytes: number; attempts: number; usageAtStartBytes: number };
  t.equal(d.targetBytes, 16 * MiB);
  if (fx.cgroup.version === 1) {
    t.ok(d.reachedBytes > d.targetBytes, `v1 refused 16 MiB under ${(d.usageAtStartBytes / MiB).toFixed(0)} MiB of anonymous memory (no swap); reached ${(d.reachedBytes / MiB).toFixed(1)} MiB in ${d.attempts} tries`);
    t.ok(d.reachedBytes < 256 * MiB, 'but the limit did come down');
  }
  t.equal(fx.cgroup.memoryUsage().limitBytes, d.reachedBytes, 'the cgroup limit is what was reached');
  await applied.end();
  t.equal(fx.cgroup.memoryUsage().limitBytes, 256 * MiB, 'original limit back');
  t.notOk(fx.undoKinds().includes('memory-squeeze'));
});

t.test('stall-daemon on a process: stopped (T), continued; undo record dropped', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('stall');
  t.teardown(() => fx.close());
  await fx.ctx.startDaemon();
  const pid = fx.ctx.daemon.pid()!;
  const applied = await FAULT_IMPLS['stall-daemon'].apply(faultSpec('{kind: stall-daemon, for: 1s}'), fx.ctx, 0);
  t.equal(procState(pid), 'T');
  t.ok(fx.undoKinds().includes('stall-daemon'));
  await applied.end();
  await sleep(50);
  t.not(procState(pid), 'T', 'running again');
  t.notOk(fx.undoKinds().includes('stall-daemon'));
});

t.test('the log volume is gone after the session restores: no mount, no loop device', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('vol');
  const { mountPoint, image } = fx.volume;
  t.ok(isMounted(mountPoint));
  t.equal((await loopDevicesOf(image)).length, 1);
  writeFileSync(join(mountPoint, 'log'), 'x');
  await fx.close();
  t.notOk(isMounted(mountPoint), 'unmounted');
  t.same(await loopDevicesOf(image), [], 'loop device detached');
});
