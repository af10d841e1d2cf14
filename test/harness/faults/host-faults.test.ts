// Each host-side fault on the real machine (cgroups, a loop device, ext4, fsfreeze): the
// symptom it is meant to cause is measured, and ending it (and the session's undo) puts the
// host back. No audit daemon is needed: the "daemon" is a stand-in process in the run cgroup.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnlessRoot } from '../../helpers/kernel.ts';
import { FAULT_IMPLS } from '../../../harness/faults/kinds.ts';
import type { AppliedFault, FaultDetail } from '../../../harness/faults/fault-types.ts';
import { procState, waitForStopped } from '../../../harness/faults/process-tree.ts';
import { isMounted, loopDevicesOf } from '../../../harness/faults/log-volume.ts';
import { readState } from '../../../harness/host/state-file.ts';
import { runUndoSteps, type UndoStep } from '../../../harness/host/undo-steps.ts';
import { faultSpec, hostFixture } from './host-context.ts';

const MiB = 1024 * 1024;

/** End a fault window as the timeline does: the start and end figures merged. */
async function endWindow(a: AppliedFault): Promise<FaultDetail> {
  return { ...a.detail, ...((await a.end()) ?? {}) };
}

/** Seconds a dd write of `mib` MiB takes inside the run cgroup. */
async function ddSeconds(fx: Awaited<ReturnType<typeof hostFixture>>, file: string, mib: number, flag: string | null, bs = '64k'): Promise<{ s: number; ok: boolean; stderr: string }> {
  const t0 = Date.now();
  const block = bs === '4k' ? 4096 : bs === '1M' ? MiB : 65536;
  const args = ['if=/dev/zero', `of=${file}`, `bs=${bs}`, `count=${Math.round(mib * MiB / block)}`, ...(flag ? [`oflag=${flag}`] : [])];
  const r = await fx.spawnInGroup('dd', args);
  return { s: (Date.now() - t0) / 1000, ok: r.exitCode === 0, stderr: String(r.stderr ?? '') };
}

t.test('slow-disk (blkio-throttle): O_DSYNC writes crawl at the rate and it took effect; buffered ones escape and it says so; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('slow');
  t.teardown(() => fx.close());
  const fast = await ddSeconds(fx, join(fx.volume.mountPoint, 'a'), 2, 'dsync');
  t.ok(fast.ok, `unthrottled dsync write ok: ${fast.stderr}`);
  const spec = faultSpec(`{kind: slow-disk, rate: 512KiB/s, method: ${fx.cgroup.version === 1 ? 'blkio-throttle' : 'io-max'}}`);
  const applied = await FAULT_IMPLS['slow-disk'].apply(spec, fx.ctx, 0);
  t.equal(applied.detail.method, fx.cgroup.version === 1 ? 'blkio-throttle' : 'io-max');
  if (fx.cgroup.version === 1) t.match(readFileSync(join(fx.cgroup.dirs.io!, 'blkio.throttle.write_bps_device'), 'utf8'), `${fx.volume.device} 524288`);
  t.ok(fx.undoKinds().includes('slow-disk'), 'undo recorded');
  const slow = await ddSeconds(fx, join(fx.volume.mountPoint, 'b'), 1, 'dsync');
  t.ok(slow.s >= 1.4, `1 MiB of O_DSYNC writes at 512 KiB/s took ${slow.s.toFixed(2)} s (unthrottled 2 MiB: ${fast.s.toFixed(2)} s)`);
  const d = await endWindow(applied);
  const e = applied.effect(d);
  t.ok(e.ok, `took effect on O_DSYNC writes: ${e.measured}`);
  t.ok((d.logBytesPerSec as number) <= 1.25 * 524288, `the log grew ${d.logBytesPerSec} B/s, device ${d.deviceBytesPerSec} B/s, ${d.deviceMsPerWrite} ms per device write`);
  t.notOk(fx.undoKinds().includes('slow-disk'), 'undo record dropped');
  const after = await ddSeconds(fx, join(fx.volume.mountPoint, 'd'), 1, 'dsync');
  t.ok(after.s < slow.s / 2, `fast again: ${after.s.toFixed(2)} s`);

  // the same throttle over buffered writes (flush none): the log outruns it, and the fault says so
  const again = await FAULT_IMPLS['slow-disk'].apply(spec, fx.ctx, 1);
  const buffered = await ddSeconds(fx, join(fx.volume.mountPoint, 'c'), 8, null);
  const d2 = await endWindow(again);
  const e2 = again.effect(d2);
  t.ok(buffered.s < 1, `8 MiB of buffered writes escape the throttle: ${buffered.s.toFixed(2)} s`);
  t.notOk(e2.ok, `did not take effect: ${e2.measured}`);
  t.match(e2.fix, /buffered writes escaped.*use method: auto or fuse/);
  if (fx.cgroup.version === 1) t.equal(readFileSync(join(fx.cgroup.dirs.io!, 'blkio.throttle.write_bps_device'), 'utf8').trim(), '', 'throttle removed');
});

t.test('slow-disk (fuse): buffered writes held to the rate, every write gets the latency; measured by slowfs; unmounted after', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('fuse', { slowLayer: true });
  const layerMount = fx.volume.logDir;
  t.not(layerMount, fx.volume.mountPoint, 'the log dir is the slow layer, not the filesystem');
  t.ok(isMounted(layerMount), 'slowfs mounted');
  t.ok(fx.undoKinds().includes('slow-layer'), 'its undo recorded');
  const writeMiB = async (name: string, mib: number, bs = '4k', flag: string | null = null) =>
    ddSeconds(fx, join(layerMount, name), mib, flag, bs);
  const free = await writeMiB('free', 4);
  t.ok(free.ok && free.s < 1, `no delay before the fault: 4 MiB buffered in ${free.s.toFixed(2)} s`);

  // rate: 1 MiB/s; 1.5 MiB of buffered 4 KiB writes (flush none writes like this)
  const rate = await FAULT_IMPLS['slow-disk'].apply(faultSpec('{kind: slow-disk, rate: 1MiB/s}'), fx.ctx, 0);
  t.equal(rate.detail.method, 'fuse');
  const r = await writeMiB('rate', 1.5);
  const dr = await endWindow(rate);
  const er = rate.effect(dr);
  const achieved = (dr.bytesWritten as number) / r.s;
  t.ok(er.ok, `took effect: ${er.measured}`);
  t.ok(Math.abs(achieved - MiB) <= 0.25 * MiB, `buffered writes went at ${(achieved / MiB).toFixed(3)} MiB/s for a 1 MiB/s rate (${r.s.toFixed(2)} s for 1.5 MiB)`);
  t.equal(dr.bytesWritten, 1.5 * MiB, 'slowfs counted every byte');

  // latency: 100 ms per write, O_DSYNC and buffered alike
  const lat = await FAULT_IMPLS['slow-disk'].apply(faultSpec('{kind: slow-disk, latency: 100ms}'), fx.ctx, 1);
  const l = await ddSeconds(fx, join(layerMount, 'lat'), 5, null, '1M');
  const dl = await endWindow(lat);
  const el = lat.effect(dl);
  t.ok(el.ok, `took effect: ${el.measured}`);
  t.ok((dl.minWriteUs as number) >= 100_000, `every write took >= 100 ms: min ${dl.minWriteUs} µs over ${dl.writes} writes`);
  t.ok(l.s >= (dl.writes as number) * 0.1, `5 MiB in 1 MiB writes (${dl.writes} FUSE writes) took ${l.s.toFixed(2)} s`);

  // a window in which nothing writes: nothing was slowed, and the effect says so
  const idle = await FAULT_IMPLS['slow-disk'].apply(faultSpec('{kind: slow-disk, rate: 1MiB/s}'), fx.ctx, 2);
  const ei = idle.effect(await endWindow(idle));
  t.notOk(ei.ok, `no writes: ${ei.measured}`);
  t.match(ei.fix, /lengthen the window/);

  const fast = await writeMiB('after', 4);
  t.ok(fast.s < 1, `no delay after the faults: ${fast.s.toFixed(2)} s`);
  t.same(readdirSync(join(fx.volume.mountPoint, 'log')).sort(), ['after', 'free', 'lat', 'rate'], 'the files are on the filesystem under the layer');
  await fx.close();
  t.notOk(isMounted(layerMount), 'slowfs unmounted by the session\'s undo');
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
  const d = await endWindow(applied);
  const e = applied.effect(d);
  t.ok(e.ok, `took effect: ${e.measured}`);
  t.equal(d.probeState, 'D', 'the fault\'s own probe write was waiting at the end of the window');
  const r = await writer;
  t.equal(r.exitCode, 0, 'the write completed after the thaw');
  t.ok(Date.now() - t0 >= 700, 'and not before it');
  t.notOk(fx.undoKinds().includes('freeze-fs'));
});

t.test('SIGSTOP of a process in state D: it stops (T) only once its write returns, and waitForStopped waits for that', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('dstop');
  t.teardown(() => fx.close());
  const applied = await FAULT_IMPLS['freeze-fs'].apply(faultSpec('{kind: freeze-fs, for: 1s}'), fx.ctx, 0);
  const writer = fx.spawnInGroup('dd', ['if=/dev/zero', `of=${join(fx.volume.mountPoint, 'w')}`, 'bs=4k', 'count=1', 'oflag=dsync']);
  t.teardown(() => { writer.kill('SIGCONT'); });
  await sleep(300);
  t.equal(procState(writer.pid!), 'D', 'the writer waits on the frozen filesystem');
  process.kill(writer.pid!, 'SIGSTOP');
  const stopped = waitForStopped([writer.pid!], 5000);
  await sleep(400);
  t.equal(procState(writer.pid!), 'D', 'still in its write 400 ms after SIGSTOP');
  await endWindow(applied);
  const r = await stopped;
  t.same(r.states, ['T'], `stopped once the write returned, ${r.waitedMs} ms after SIGSTOP`);
  t.ok(r.waitedMs >= 400, 'not before the thaw');
  process.kill(writer.pid!, 'SIGCONT');
  t.equal((await writer).exitCode, 0, 'continued, it completes');
});

t.test('disk-full: writes meet ENOSPC while full, succeed once freed; undone', { skip: skipUnlessRoot }, async (t) => {
  const fx = await hostFixture('full', { volumeBytes: 64 * MiB });
  t.teardown(() => fx.close());
  const applied = await FAULT_IMPLS['disk-full'].apply(faultSpec('{kind: disk-full}'), fx.ctx, 0);
  t.ok((applied.detail.freeAfterBytes as number) < 64 * 1024, `free after filling: ${applied.detail.freeAfterBytes} bytes`);
  const full = await ddSeconds(fx, join(fx.volume.mountPoint, 'x'), 1, null);
  t.notOk(full.ok, 'a 1 MiB write fails');
  t.match(full.stderr, /No space left on device/);
  const e = applied.effect(await endWindow(applied));
  t.ok(e.ok, `took effect: ${e.measured}`);
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
  const more = await endWindow(applied);
  t.ok((more as { throttledPeriods: number }).throttledPeriods >= 5, `throttled periods: ${JSON.stringify(more)}`);
  const e = applied.effect(more);
  t.ok(e.ok, `took effect: ${e.measured}`);
  t.ok(ticks <= 30, `a busy loop got ${ticks} ticks (USER_HZ 100) in 1 s under a tenth of a core`);
  t.equal(readFileSync(join(fx.cgroup.dirs.cpu!, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1', 'quota removed');
  t.notOk(fx.undoKinds().includes('cpu-starve'));
  busy.kill('SIGKILL');
  await busy;
  // nothing in the group uses CPU: the quota throttles nothing, and the fault says so
  const idle = await FAULT_IMPLS['cpu-starve'].apply(faultSpec('{kind: cpu-starve, cpu: 0.1}'), fx.ctx, 1);
  await sleep(300);
  const ei = idle.effect(await endWindow(idle));
  t.notOk(ei.ok, `an idle group: ${ei.measured}`);
  t.match(ei.fix, /never used up 0.1 core/);
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
  const e = applied.effect(await endWindow(applied));
  t.ok(e.ok, `took effect: ${e.measured}`);
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
  const e = applied.effect(await endWindow(applied));
  t.ok(e.ok, `took effect: ${e.measured}`);
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

t.test('each fault\'s undo record, as the state file holds it, is undone by the host layer alone', { skip: skipUnlessRoot }, async (t) => {
  // the stand-in daemon has a child, for plugin-stall
  const fx = await hostFixture('records', { slowLayer: true, volumeBytes: 128 * MiB, daemon: ['sh', '-c', 'sleep 1000 & wait'] });
  t.teardown(() => fx.close());
  await fx.ctx.startDaemon();
  const daemonPid = fx.ctx.daemon.pid()!;
  const apply = (yaml: string) => { const s = faultSpec(yaml); return FAULT_IMPLS[s.kind].apply(s, fx.ctx, 0); };
  await apply('{kind: disk-full, leave: 16MiB}');
  await apply(`{kind: slow-disk, rate: 64KiB/s, method: ${fx.cgroup.version === 1 ? 'blkio-throttle' : 'io-max'}}`);
  await apply('{kind: cpu-starve, cpu: 0.05}');
  await apply('{kind: memory-squeeze, memory_limit: 32MiB}');
  await apply('{kind: stall-daemon, for: 60s}');
  const plugin = (await apply('{kind: plugin-stall, for: 60s}')).detail.pids as number[];
  await apply('{kind: freeze-fs, for: 60s}');
  const ioFile = join(fx.cgroup.dirs.io!, fx.cgroup.version === 1 ? 'blkio.throttle.write_bps_device' : 'io.max');
  const cpuQuota = () => readFileSync(join(fx.cgroup.dirs.cpu!, fx.cgroup.version === 1 ? 'cpu.cfs_quota_us' : 'cpu.max'), 'utf8').trim();
  t.match(readFileSync(ioFile, 'utf8'), fx.volume.device, 'throttled');
  t.not(cpuQuota(), fx.cgroup.version === 1 ? '-1' : 'max 100000', 'cpu quota set');
  t.equal(procState(plugin[0]!), 'T', 'plugin stopped');

  // what each record must have put back, checked right after that record alone was carried out
  const checks: Record<string, () => Promise<void> | void> = {
    'freeze-fs': async () => {
      const w = await fx.spawnInGroup('dd', ['if=/dev/zero', `of=${join(fx.volume.mountPoint, 'thawed')}`, 'bs=4k', 'count=1', 'oflag=dsync']);
      t.equal(w.exitCode, 0, 'freeze-fs: a write completes (thawed)');
    },
    'plugin-stall': () => { t.not(procState(plugin[0]!), 'T', 'plugin-stall: the plugin runs again'); },
    'stall-daemon': () => { t.not(procState(daemonPid), 'T', 'stall-daemon: the daemon runs again'); },
    'memory-squeeze': () => { t.equal(fx.cgroup.memoryUsage().limitBytes, 256 * MiB, 'memory-squeeze: the limit as found'); },
    'cpu-starve': () => { t.equal(cpuQuota(), fx.cgroup.version === 1 ? '-1' : 'max 100000', 'cpu-starve: no quota'); },
    'slow-disk': () => { t.notMatch(readFileSync(ioFile, 'utf8'), new RegExp(`${fx.volume.device} (\\d|wbps=\\d)`), 'slow-disk: no throttle'); },
    'disk-full': () => { t.ok(fx.volume.freeBytes() > 64 * MiB, `disk-full: space back (${fx.volume.freeBytes()} B free)`); },
    'slow-layer': () => { t.notOk(isMounted(fx.volume.logDir), 'slow-layer: unmounted'); },
    'log-volume': async () => {
      t.notOk(isMounted(fx.volume.mountPoint), 'log-volume: unmounted');
      t.same(await loopDevicesOf(fx.volume.image), [], 'log-volume: no loop device');
    },
  };
  const records = [...readState()!.undo].reverse();
  t.same(records.map((r) => r.by).filter((b) => b in checks).sort(), Object.keys(checks).sort(), 'one record per host change');
  for (const r of records) {
    if (!(r.by in checks)) continue;
    // through JSON, as `auditstorm reset` reads it, and run by the host layer's step runner
    await runUndoSteps(JSON.parse(JSON.stringify(r.steps)) as UndoStep[]);
    await checks[r.by]!();
  }
});
