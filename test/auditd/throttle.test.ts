// The queue throttle with the output stalled, on the real kernel.
//   flock /run/lock/auditstorm-dev.lock npx tap test/auditd/throttle.test.ts
//
// Stall mechanism: the log lives on an ext4 filesystem on a loop device that the test freezes
// (fsfreeze -f). write(2) to a frozen filesystem sleeps until the thaw, so the log writer stops
// completing batches while the rest of the daemon (input thread, stats) keeps running. The daemon
// runs in a cgroup-v1 memory cgroup with a 1 GiB limit (unbounded grows without limit). Every path
// thaws before it stops or kills the daemon: a write to a frozen filesystem outlives SIGKILL.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import {
  addOpenatRule, ausearchCount, enableAudit, ensureUnregistered, LOAD, LOAD_ENV, randomAuid, sleep, startDaemon,
  status, tempDir, withControl, writeConf, type RunningDaemon,
} from './helpers/kernel-env.ts';
import type { DaemonStats } from '../../auditd/stats.ts';

const MiB = 1024 * 1024;
const HWM = 2000;
const HWM_BYTES = 1 * MiB;

t.before(ensureUnregistered);

interface Stage {
  mnt: string;
  cgroupProcs: string;
  freeze: () => Promise<void>;
  thaw: () => Promise<void>;
}

async function stage(t: Test): Promise<Stage> {
  const base = tempDir(t, 'tsauditd-stall-');
  const img = join(base, 'fs.img');
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  await execa('truncate', ['-s', '256M', img]);
  const dev = (await execa('losetup', ['-f', '--show', img])).stdout.trim();
  let mounted = false;
  let frozen = false;
  const cg = `/sys/fs/cgroup/memory/auditstorm-tsauditd-test-${process.pid}`;
  const thaw = async () => { if (frozen) { await execa('fsfreeze', ['-u', mnt], { reject: false }); frozen = false; } };
  t.teardown(async () => {
    await thaw();
    if (mounted) await execa('umount', [mnt], { reject: false });
    await execa('losetup', ['-d', dev], { reject: false });
    try { rmdirSync(cg); } catch { /* gone or still busy: reported by the lead's cleanup */ }
  });
  await execa('mkfs.ext4', ['-q', '-F', dev]);
  await execa('mount', [dev, mnt]);
  mounted = true;
  mkdirSync(cg, { recursive: true });
  writeFileSync(join(cg, 'memory.limit_in_bytes'), String(1024 * MiB));
  return {
    mnt, cgroupProcs: join(cg, 'cgroup.procs'), thaw,
    freeze: async () => { await execa('fsfreeze', ['-f', mnt]); frozen = true; },
  };
}

interface StallRun {
  d: RunningDaemon;
  idle: DaemonStats;
  samples: DaemonStats[];
  waitActualMs: number;
  load: ResultPromise;
  auid: number;
  key: string;
  dir: string;
  st: Stage;
  lost0: number;
}

async function stalledRun(t: Test, policy: 'block' | 'drop' | 'unbounded', events: number, stallMs: number): Promise<StallRun> {
  const st = await stage(t);
  const auid = randomAuid();
  const key = `ts_${policy}_${auid}`;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  const dir = tempDir(t, `tsauditd-${policy}-`);
  writeConf(dir, {
    log_file: join(st.mnt, 'audit.log'), flush: 'none', max_log_file: 0, max_log_file_action: 'ignore',
    space_left: 2, admin_space_left: 1, queue_overflow: policy, queue_hwm: HWM, queue_lwm: HWM / 2,
    queue_hwm_bytes: HWM_BYTES, oom_score_adj: 'keep',
  });
  const d = await startDaemon(t, dir, { cgroupProcs: st.cgroupProcs, beforeStop: st.thaw });
  await sleep(500);
  const idle = d.stats();
  const lost0 = (await status()).lost;
  await withControl((c) => c.resetBacklogWaitActual());
  await st.freeze();
  const load = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), String(events)], { reject: false, env: LOAD_ENV, extendEnv: false });
  t.teardown(() => { load.kill('SIGKILL'); });
  const samples: DaemonStats[] = [];
  const until = Date.now() + stallMs;
  while (Date.now() < until) {
    await sleep(100);
    samples.push(d.stats());
  }
  const waitActualMs = (await status()).backlogWaitTimeActualMs;
  return { d, idle, samples, waitActualMs, load, auid, key, dir, st, lost0 };
}

const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);

t.test('block: intake paced at the HWM, RSS stays bounded, the kernel makes callers wait', async (t) => {
  const r = await stalledRun(t, 'block', 200000, 5000);
  const RESERVE = 4096;
  const bound = r.idle.rssBytes + HWM_BYTES + 8 * MiB + 16 * MiB;
  const peakRss = max(r.samples.map((s) => s.rssBytes));
  const peakRecords = max(r.samples.map((s) => s.queue.records));
  const last = r.samples[r.samples.length - 1];
  t.comment(`idle RSS ${(r.idle.rssBytes / MiB).toFixed(1)} MiB, peak during stall ${(peakRss / MiB).toFixed(1)} MiB, bound ${(bound / MiB).toFixed(1)} MiB; ` +
    `queue peak ${peakRecords} records / ${max(r.samples.map((s) => s.queue.bytes))} bytes; backlog_wait_time_actual ${r.waitActualMs} ms`);
  t.ok(last.queue.paused, 'input thread pacing at the HWM');
  t.ok(peakRecords <= HWM + RESERVE, `queue never above queue_hwm + queue_reserve (${peakRecords})`);
  t.ok(max(r.samples.map((s) => s.queue.bytes)) <= HWM_BYTES + 8 * MiB + 64 * 16 * 1024, 'bytes within hwm + reserve + one receive batch');
  t.ok(peakRss <= bound, 'RSS under idle + queue_hwm_bytes + queue_reserve_bytes + 16 MiB for the whole stall');
  t.equal(last.socket.drops, 0, "the kernel's sends never timed out on our socket");
  t.ok(r.waitActualMs > 0, 'backlog_wait_time_actual rose: audited callers waited');
  t.equal(last.dropped.queue_full, 0, 'block drops nothing itself');
  await r.st.thaw();
  r.load.kill('SIGKILL');
  t.equal(await r.d.stop(), 0, 'drains and exits 0 after the thaw');
});

t.test('unbounded: the queue keeps growing while output is stalled', async (t) => {
  const r = await stalledRun(t, 'unbounded', 150000, 4000);
  const recs = r.samples.map((s) => s.queue.records);
  const third = Math.floor(recs.length / 3);
  t.comment(`queue records at 1/3, 2/3, end: ${recs[third]}, ${recs[2 * third]}, ${recs[recs.length - 1]}; ` +
    `RSS idle ${(r.idle.rssBytes / MiB).toFixed(1)} -> ${(r.samples[r.samples.length - 1].rssBytes / MiB).toFixed(1)} MiB`);
  t.ok(recs[recs.length - 1] > 10 * HWM, 'queue far past the HWM it would have had');
  t.ok(recs[recs.length - 1] > recs[third], 'still growing');
  t.ok(r.samples[r.samples.length - 1].rssBytes > r.idle.rssBytes + HWM_BYTES + 16 * MiB, 'RSS past the bound block keeps');
  t.notOk(r.samples.some((s) => s.queue.paused), 'never paused');
  await r.st.thaw();
  r.load.kill('SIGKILL');
  t.equal(await r.d.stop(), 0);
});

t.test('drop: keeps reading, drops past the HWM, dropped == missing from the log', async (t) => {
  const N = 40000;
  const r = await stalledRun(t, 'drop', N, 3000);
  await r.load;
  await r.st.thaw();
  await sleep(1500);
  t.equal(await r.d.stop(), 0);
  const s = r.d.stats();
  const found = await ausearchCount([join(r.st.mnt, 'audit.log')], r.key);
  t.comment(`${found.count} events in the log, ${s.dropped.queue_full_syscall} SYSCALL records dropped (${s.dropped.queue_full} records in all)`);
  t.ok(s.dropped.queue_full > 0, 'dropped while stalled');
  // whole events: the later records of an event admitted below the HWM follow it in
  t.ok(max(r.samples.map((x) => x.queue.records)) <= HWM + 64, 'queue never above the HWM by more than one receive batch');
  t.equal(s.events.droppedQueueFull, s.dropped.queue_full_syscall, 'whole events dropped: one per dropped SYSCALL (openat events)');
  // The load's write to /proc/self/loginuid makes the kernel emit LOGIN with a SYSCALL record
  // (key=(null)): one unkeyed SYSCALL per load process that the drop counter may also have taken.
  const logText = readFileSync(join(r.st.mnt, 'audit.log'), 'utf8');
  const unkeyedInLog = logText.split('\n').filter((l) => l.startsWith('type=SYSCALL ') && l.includes(`auid=${r.auid} `) && !l.includes(`key="${r.key}"`)).length;
  const syscallsInLog = logText.split('\n').filter((l) => l.startsWith('type=SYSCALL ')).length;
  t.equal(syscallsInLog + s.dropped.queue_full_syscall, s.receivedSyscall, 'daemon-wide: every SYSCALL received is in the log or counted as dropped');
  t.equal(s.processed + s.dropped.queue_full, s.received, 'records: output side + dropped = received');
  t.equal(logText.split('\n').filter(Boolean).length, s.written, 'every record the writer took is a line in the log');
  // Keyed: what ausearch misses is within the dropped SYSCALL count, give or take the unkeyed
  // SYSCALL records other tasks had audited meanwhile (config changes carry one each).
  const missing = N - found.count;
  t.ok(missing <= s.dropped.queue_full_syscall && s.dropped.queue_full_syscall - missing <= 3,
    `missing ${missing} vs dropped SYSCALL ${s.dropped.queue_full_syscall} (unkeyed load SYSCALLs in log: ${unkeyedInLog})`);
  t.equal((await status()).lost, r.lost0, 'kernel lost nothing: drop kept reading');
  const loss = await execa('ausearch', ['-if', join(r.st.mnt, 'audit.log'), '-m', 'DAEMON_ERR', '--format', 'raw'], { reject: false });
  t.match(loss.stdout, /op=queue_overflow policy=drop lost=\d+/, 'loss record in the log');
});
