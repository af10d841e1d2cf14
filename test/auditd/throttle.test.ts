// tsauditd's queue policies with the output slowed or stopped, on the real kernel.
//   flock /tmp/auditstorm-kernel.lock npx tap test/auditd/throttle.test.ts
//
// Stall mechanisms, on an ext4 filesystem on a loop device shared by the whole file:
// - frozen: fsfreeze -f; write(2) then sleeps until the thaw, so the log writer finishes nothing
//   while the input thread and stats go on. Every path thaws before it stops or kills the daemon
//   (a write to a frozen filesystem outlives SIGKILL).
// - slow: the cgroup-v1 blkio controller throttles the daemon's writes to the loop device
//   (flush = data: O_DSYNC writes are the daemon's own bios, so they are charged to it).
// Each daemon runs in a memory cgroup (1 GiB limit) and a blkio cgroup of this file.
//
// Counting: events are serials. A load makes exactly N audited openat calls (one SYSCALL with the
// test's key each) or N user messages with a marker; the log is read for those serials/markers,
// and /dev/kmsg for the SYSCALL records the kernel printed and dropped (kauditd_hold_skb on a
// kernel booted without audit=1: dropped without counting them in `lost`).
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import {
  addOpenatRule, enableAudit, ensureUnregistered, kmsgAuditSerials, LOAD, LOAD_ENV, logKeySerials, procStatus, randomAuid,
  sleep, startDaemon, status, tempDir, writeConf, type RunningDaemon,
} from './helpers/kernel-env.ts';
import type { DaemonStats } from '../../auditd/stats.ts';

const MiB = 1024 * 1024;
const USER_LOAD = fileURLToPath(new URL('../fixtures/user-message-load.mjs', import.meta.url));

t.before(ensureUnregistered);

interface Stage {
  mnt: string;
  device: string;
  procs: string[];
  blkio: string;
  freeze: () => Promise<void>;
  thaw: () => Promise<void>;
}

let shared: Promise<Stage> | null = null;

/** One loop filesystem and one pair of cgroups for the whole file, removed after the last test. */
function stage(): Promise<Stage> {
  shared ??= (async () => {
    const base = tempDir(t, 'tsauditd-throttle-');
    const img = join(base, 'fs.img');
    const mnt = join(base, 'mnt');
    mkdirSync(mnt);
    await execa('truncate', ['-s', '256M', img]);
    const dev = (await execa('losetup', ['-f', '--show', img])).stdout.trim();
    const majMin = (await execa('lsblk', ['-dno', 'MAJ:MIN', dev])).stdout.trim();
    let mounted = false;
    let frozen = false;
    const mem = `/sys/fs/cgroup/memory/auditstorm-tsauditd-throttle-${process.pid}`;
    const blk = `/sys/fs/cgroup/blkio/auditstorm-tsauditd-throttle-${process.pid}`;
    const thaw = async () => { if (frozen) { await execa('fsfreeze', ['-u', mnt], { reject: false }); frozen = false; } };
    t.teardown(async () => {
      await thaw();
      if (mounted) await execa('umount', [mnt], { reject: false });
      await execa('losetup', ['-d', dev], { reject: false });
      for (const cg of [mem, blk]) {
        try { rmdirSync(cg); } catch { /* gone, or busy: `auditstorm reset` removes it */ }
      }
    });
    await execa('mkfs.ext4', ['-q', '-F', dev]);
    await execa('mount', [dev, mnt]);
    mounted = true;
    mkdirSync(mem, { recursive: true });
    mkdirSync(blk, { recursive: true });
    writeFileSync(join(mem, 'memory.limit_in_bytes'), String(1024 * MiB));
    return {
      mnt, device: majMin, procs: [join(mem, 'cgroup.procs'), join(blk, 'cgroup.procs')], blkio: blk, thaw,
      freeze: async () => { await execa('fsfreeze', ['-f', mnt]); frozen = true; },
    };
  })();
  return shared;
}

function throttleWrites(st: Stage, t: Test, bps: number): void {
  const f = join(st.blkio, 'blkio.throttle.write_bps_device');
  writeFileSync(f, `${st.device} ${bps}`);
  t.teardown(() => writeFileSync(f, `${st.device} 0`));
}

interface Run {
  d: RunningDaemon;
  log: string;
  idleRssKiB: number;
  lost0: number;
}

let runNo = 0;

async function startRun(t: Test, st: Stage, conf: Record<string, string | number>): Promise<Run> {
  const dir = tempDir(t, 'tsauditd-throttle-run-');
  const log = join(st.mnt, `audit-${++runNo}.log`);
  writeConf(dir, {
    log_file: log, flush: 'none', max_log_file: 0, max_log_file_action: 'ignore',
    space_left: 2, admin_space_left: 1, oom_score_adj: 'keep', ...conf,
  });
  const d = await startDaemon(t, dir, { cgroupProcs: st.procs, beforeStop: st.thaw });
  await sleep(300);
  const pid = d.proc.pid!;
  // peak RSS from here on: writing 5 to clear_refs resets VmHWM to the current RSS
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const idleRssKiB = procStatus(String(pid)).VmRSS;
  return { d, log, idleRssKiB, lost0: (await status()).lost };
}

function openatLoad(t: Test, auid: number, n: number): ResultPromise {
  const p = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), String(n)], { reject: false, env: LOAD_ENV, extendEnv: false });
  t.teardown(() => { p.kill('SIGKILL'); });
  return p;
}

function userLoad(t: Test, n: number, size: number, mark: string, delayMs = 0): ResultPromise {
  const p = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, USER_LOAD, String(n), String(size), mark, String(delayMs)], { reject: false, env: LOAD_ENV, extendEnv: false });
  t.teardown(() => { p.kill('SIGKILL'); });
  return p;
}

/** Wait until the daemon has taken everything (queue empty, nothing more arriving). */
async function settle(d: RunningDaemon, maxMs = 30000): Promise<DaemonStats> {
  let last = -1;
  const until = Date.now() + maxMs;
  for (;;) {
    const s = d.stats();
    if (s.received === last && s.queue.records === 0) return s;
    if (Date.now() > until) return s;
    last = s.received;
    await sleep(200);
  }
}

function markersInLog(log: string, mark: string): Set<number> {
  const out = new Set<number>();
  const re = new RegExp(`${mark}:(\\d+) `, 'g');
  for (const m of readFileSync(log, 'latin1').matchAll(re)) out.add(Number(m[1]));
  return out;
}

const MiBs = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

t.test('a reader that stops at the HWM loses the records the kernel prints; the paced block loses none of the same load', async (t) => {
  const st = await stage();
  const N = 6000;
  const FREEZE_MS = 1500;
  await enableAudit(t, { backlogLimit: 1024, backlogWaitMs: 15000 });
  const results: Record<string, { logged: number; printed: number; overruns: number; drops: number; lost: number; stats: DaemonStats }> = {};
  for (const policy of ['pause', 'block'] as const) {
    const auid = randomAuid();
    const key = `ts_${policy}_${auid}`;
    await addOpenatRule(t, auid, key);
    // a small socket buffer: the kernel's send finds it full within milliseconds of a stop
    const r = await startRun(t, st, { queue_overflow: policy, queue_hwm: 2000, queue_lwm: 1000, queue_hwm_bytes: '1M', recv_buffer_bytes: '256K' });
    const kmsg = kmsgAuditSerials(key);
    await st.freeze();
    const load = openatLoad(t, auid, N);
    await sleep(FREEZE_MS);
    await st.thaw();
    const lr = await load;
    t.equal(lr.exitCode, 0, `${policy}: the load ran its ${N} openat calls`);
    await settle(r.d);
    const k = kmsg.stop();
    t.equal(await r.d.stop(), 0, `${policy}: exit 0`);
    const s = r.d.stats();
    const logged = logKeySerials([r.log], key);
    const both = [...k.serials].filter((x) => logged.has(x)).length;
    results[policy] = { logged: logged.size, printed: k.serials.size, overruns: k.overruns, drops: s.socket.drops, lost: (await status()).lost - r.lost0, stats: s };
    t.comment(`${policy}: generated ${N}, logged ${logged.size}, printed and dropped by the kernel ${k.serials.size} ` +
      `(kmsg overruns ${k.overruns}), in both ${both}; socket drops ${s.socket.drops}, lost +${results[policy].lost}; ` +
      `reads credit/floor/full ${s.queue.reads.credit}/${s.queue.reads.floor}/${s.queue.reads.full}`);
    t.equal(both, 0, `${policy}: no event both logged and printed`);
  }
  const p = results.pause;
  t.ok(p.printed > 0, 'pause: the kernel printed and dropped events');
  t.ok(p.drops > 0, "pause: the socket's drop counter moved (kernel sends timed out)");
  if (p.overruns === 0 && p.lost === 0) {
    t.equal(p.logged + p.printed, N, 'pause: every event is either in the log or named by the kernel as dropped');
  } else t.comment(`pause: kmsg overran ${p.overruns} times / lost +${p.lost}: logged + printed is a lower bound`);
  t.ok(p.logged < N, 'pause lost events');
  const b = results.block;
  t.equal(b.logged, N, 'block: every generated event is in the log');
  t.equal(b.printed, 0, 'block: the kernel printed (dropped) none');
  t.equal(b.overruns, 0, 'block: kmsg read completely');
  t.equal(b.drops, 0, "block: the socket's drop counter did not move");
  t.equal(b.lost, 0, "block: the kernel's lost counter did not move");
  t.equal(b.stats.events.droppedQueueFull, 0, 'block: tsauditd dropped nothing');
  t.ok(b.stats.queue.reads.floor > 0, 'block: the liveness floor read during the freeze');
});

t.test('slow log device, 8 KiB user records and openat events under block: all logged, RSS within the bound', async (t) => {
  const st = await stage();
  const N_OPEN = 4000;
  const N_USER = 1200;
  const SIZE = 8192;
  const HWM_BYTES = 4 * MiB;
  // the default reserve: it is what carries the queue through the device's stalls. The writer on
  // this throttled loop device sometimes finishes nothing for a second or more, while the liveness
  // floor goes on taking a record at a time, at most about 1 MiB/s (a 2 MiB reserve filled then
  // 1 run in about 4, with a floor that took ~1.6 MiB/s of 8 KiB records)
  const RESERVE_BYTES = 8 * MiB;
  await enableAudit(t, { backlogLimit: 1024, backlogWaitMs: 15000 });
  const auid = randomAuid();
  const key = `ts_slow_${auid}`;
  const mark = `tsslow${auid}`;
  await addOpenatRule(t, auid, key);
  throttleWrites(st, t, 4 * MiB);
  const r = await startRun(t, st, {
    flush: 'data', queue_overflow: 'block', queue_hwm: 8000, queue_lwm: 4000, queue_hwm_bytes: HWM_BYTES,
    queue_reserve: 2000, queue_reserve_bytes: RESERVE_BYTES, recv_buffer_bytes: '256K',
  });
  const kmsg = kmsgAuditSerials(key);
  const t0 = Date.now();
  const [lo, lu] = await Promise.all([openatLoad(t, auid, N_OPEN), userLoad(t, N_USER, SIZE, mark)]);
  const s1 = await settle(r.d);
  const secs = (Date.now() - t0) / 1000;
  const k = kmsg.stop();
  const pid = String(r.d.proc.pid);
  const peakKiB = procStatus(pid).VmHWM;
  t.equal(lo.exitCode, 0, 'openat load done');
  t.equal(lu.exitCode, 0, `user-message load done: ${lu.stderr}`);
  t.equal(await r.d.stop(), 0, 'exit 0');
  const s = r.d.stats();
  const logged = logKeySerials([r.log], key);
  const users = markersInLog(r.log, mark);
  const boundKiB = r.idleRssKiB + (HWM_BYTES + RESERVE_BYTES + 16 * MiB) / 1024;
  t.comment(`${secs.toFixed(1)} s at 4 MiB/s: openat ${logged.size}/${N_OPEN}, user ${users.size}/${N_USER} logged; ` +
    `RSS idle ${MiBs(r.idleRssKiB)}, peak (VmHWM) ${MiBs(peakKiB)}, bound ${MiBs(boundKiB)}; queue max ${s1.queue.maxRecords} records / ` +
    `${(s1.queue.maxBytes / MiB).toFixed(1)} MiB; socket rcvbuf ${s.socket.rcvbufBytes}, max unread ${s.socket.maxUnreadBytes}, drops ${s.socket.drops}; ` +
    `reads credit/floor/full ${s.queue.reads.credit}/${s.queue.reads.floor}/${s.queue.reads.full}, longest paced gap ${s.queue.maxPacedGapMs} ms; kernel printed ${k.printed} records (kmsg overruns ${k.overruns}), lost +${(await status()).lost - r.lost0}`);
  t.equal(logged.size, N_OPEN, 'every openat event is in the log');
  t.equal(users.size, N_USER, 'every user record is in the log');
  // The kernel's path for user records: audit_log_start lets the sender (it holds audit's control
  // mutex) past backlog_limit without waiting, audit_receive makes it wait after unlocking. So
  // the backlog's tail past the limit is user records, and when one of kauditd's sends to our
  // socket times out, kauditd_retry_skb keeps only backlog_limit of the pass: it prints the rest
  // and counts them in lost ("kauditd retry queue overflow"). Those are the user records a liveness
  // floor that read a fixed 8 records per pass lost (+0 to +2 of 1,200, with 3 to 12 timed-out
  // sends): it freed too little room for an 8 KiB record behind small ones.
  t.equal(s.socket.drops, 0, "the socket's drop counter did not move (no send of kauditd's timed out)");
  t.equal(k.overruns, 0, 'kmsg read completely');
  t.equal(k.printed, 0, 'the kernel printed (dropped) no record of any type');
  t.equal((await status()).lost - r.lost0, 0, "the kernel's lost counter did not move");
  t.equal(s.events.droppedQueueFull, 0, 'tsauditd dropped nothing');
  t.ok(s1.queue.maxBytes >= HWM_BYTES, 'the queue reached its byte HWM (the disk was the limit)');
  t.ok(s1.queue.maxBytes <= HWM_BYTES + RESERVE_BYTES + 64 * 9 * 1024, 'queue bytes within hwm + reserve + one receive batch');
  t.ok(peakKiB <= boundKiB, 'peak RSS within idle + queue_hwm_bytes + queue_reserve_bytes + 16 MiB');
});

const DROPPERS = {
  'block with queue_full_action drop': { queue_overflow: 'block', queue_full_action: 'drop', queue_reserve: 500, queue_reserve_bytes: 256 * 1024 },
  'queue_overflow drop': { queue_overflow: 'drop', queue_reserve: 0, queue_reserve_bytes: 0 },
} as const;

for (const [name, policy] of Object.entries(DROPPERS)) t.test(`writer stopped, ${name}: memory bounded, every lost event counted by tsauditd, none by the kernel`, async (t) => {
  const st = await stage();
  const N = 30000;
  const HWM_BYTES = 1 * MiB;
  const RESERVE_BYTES = policy.queue_reserve_bytes;
  await enableAudit(t, { backlogLimit: 1024, backlogWaitMs: 15000 });
  const auid = randomAuid();
  const key = `ts_full_${auid}`;
  await addOpenatRule(t, auid, key);
  const r = await startRun(t, st, {
    ...policy, queue_hwm: 2000, queue_lwm: 1000, queue_hwm_bytes: HWM_BYTES, recv_buffer_bytes: '256K',
  });
  const kmsg = kmsgAuditSerials(key);
  // the floor takes one record per 2 ms pass (the default queue_floor_ms) while the writer is
  // frozen: the 500-record reserve fills in about a second of the 3 s
  await st.freeze();
  const load = openatLoad(t, auid, N);
  const samples: DaemonStats[] = [];
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    await sleep(100);
    samples.push(r.d.stats());
  }
  const frozen = samples[samples.length - 1];
  await st.thaw();
  const lr = await load;
  await settle(r.d);
  const k = kmsg.stop();
  const peakKiB = procStatus(String(r.d.proc.pid)).VmHWM;
  t.equal(lr.exitCode, 0, 'the load completed while the writer was stopped');
  t.equal(await r.d.stop(), 0, 'exit 0');
  const s = r.d.stats();
  const logged = logKeySerials([r.log], key);
  const missing = N - logged.size;
  const boundKiB = r.idleRssKiB + (HWM_BYTES + RESERVE_BYTES + 16 * MiB) / 1024;
  t.comment(`generated ${N}, logged ${logged.size}, missing ${missing}; tsauditd dropped ${s.events.droppedQueueFull} events ` +
    `(${s.dropped.queue_full_syscall} SYSCALL, ${s.dropped.queue_full} records); kernel printed ${k.serials.size}, lost +${(await status()).lost - r.lost0}; ` +
    `RSS idle ${MiBs(r.idleRssKiB)} peak ${MiBs(peakKiB)} bound ${MiBs(boundKiB)}; queue max ${s.queue.maxRecords}`);
  if (policy.queue_overflow === 'block') t.ok(frozen.queue.reads.full > 0, 'the reserve filled and queue_full_action applied while frozen');
  t.ok(missing > 0, 'events were dropped');
  t.equal(s.dropped.queue_full_syscall, missing, 'every missing event is counted: one dropped SYSCALL each');
  // the load's own LOGIN event (setting its loginuid) is an event without the key
  t.ok(s.events.droppedQueueFull >= missing && s.events.droppedQueueFull <= missing + 2, 'whole events counted (distinct serials)');
  t.equal(k.serials.size, 0, 'the kernel dropped none');
  t.equal((await status()).lost, r.lost0, "the kernel's lost counter did not move");
  t.equal(s.socket.drops, 0, "the socket's drop counter did not move");
  t.ok(s.queue.maxRecords <= 2000 + policy.queue_reserve + 64, 'queue within hwm + reserve (+ the rest of admitted events)');
  t.ok(peakKiB <= boundKiB, 'peak RSS within idle + queue_hwm_bytes + queue_reserve_bytes + 16 MiB');
  const loss = await execa('grep', ['-c', `op=queue_overflow policy=${policy.queue_overflow}`, r.log], { reject: false });
  t.ok(Number(loss.stdout) >= 1, 'a loss record in the log');
});

const GROWERS: Record<string, Record<string, string>> = {
  'block with queue_full_action keep': { queue_overflow: 'block', queue_full_action: 'keep' },
  'queue_overflow unbounded': { queue_overflow: 'unbounded' },
};

for (const [name, policy] of Object.entries(GROWERS)) t.test(`${name} (reproductions only): with the writer stopped the queue grows past every bound`, async (t) => {
  const st = await stage();
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  const auid = randomAuid();
  const key = `ts_keep_${auid}`;
  await addOpenatRule(t, auid, key);
  const HWM_BYTES = 1 * MiB;
  const r = await startRun(t, st, {
    ...policy, queue_hwm: 2000, queue_lwm: 1000, queue_hwm_bytes: HWM_BYTES,
    queue_reserve: 100, queue_reserve_bytes: 256 * 1024,
  });
  await st.freeze();
  const load = openatLoad(t, auid, 60000);
  await sleep(2500);
  const s = r.d.stats();
  const rssKiB = procStatus(String(r.d.proc.pid)).VmRSS;
  t.comment(`after 2.5 s frozen: queue ${s.queue.records} records, RSS ${MiBs(r.idleRssKiB)} -> ${MiBs(rssKiB)}`);
  t.ok(s.queue.records > 10 * 2100, 'queue far past hwm + reserve');
  t.ok(rssKiB > r.idleRssKiB + (HWM_BYTES + 256 * 1024 + 16 * MiB) / 1024, 'RSS past the bound block keeps: the bound test can fail');
  await st.thaw();
  load.kill('SIGKILL');
  t.equal(await r.d.stop(), 0);
});

t.test('the input thread sleeps when nothing arrives and coalesces a trickle', async (t) => {
  const st = await stage();
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  const r = await startRun(t, st, { queue_overflow: 'block' });
  const tid = r.d.stats().inputTid;
  t.ok(tid > 0, 'stats name the input thread');
  const task = `${r.d.proc.pid}/task/${tid}`;
  const before = procStatus(task);
  await sleep(1000);
  const after = procStatus(task);
  const wakes = after.voluntary_ctxt_switches - before.voluntary_ctxt_switches;
  t.comment(`idle input thread: ${wakes} wake-ups in 1 s`);
  t.ok(wakes <= 2, 'idle: no polling loop (a 100 ms receive timeout would be 10 wake-ups a second)');
  const mark = `tstrickle${randomAuid()}`;
  const s0 = r.d.stats();
  const N = 300;
  const lr = await userLoad(t, N, 100, mark, 1);
  t.equal(lr.exitCode, 0);
  const s1 = await settle(r.d);
  const posts = s1.queue.posts - s0.queue.posts;
  const received = s1.received - s0.received;
  t.comment(`trickle: ${received} records in ${posts} posts (${s1.queue.promptPosts - s0.queue.promptPosts} at once, after a quiet spell)`);
  t.ok(received >= N, 'all received');
  // records 1 ms apart are a stream, not a series of quiet spells: a quiet gap shorter than their
  // spacing would post each at once and fail this
  t.ok(posts <= received * 0.7, 'records posted in coalesced batches, not one message each');
  t.equal(await r.d.stop(), 0);
  t.equal(markersInLog(r.log, mark).size, N, 'and all logged');
});
