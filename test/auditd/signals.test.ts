// tsauditd's signal interface on the real kernel (run under the dev lock):
//   flock /run/lock/auditstorm-dev.lock npx tap test/auditd/signals.test.ts
// HUP reloads (a bad config is refused and the old one kept), USR1 rotates without losing a
// record, USR2 resumes a writer suspended by admin_space_left, CONT writes the state report.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  addOpenatRule, ausearchCount, enableAudit, ensureUnregistered, randomAuid, runLoad, sleep, startDaemon,
  status, tempDir, writeConf, type RunningDaemon,
} from './helpers/kernel-env.ts';
import type { DaemonStats } from '../../auditd/stats.ts';

t.before(ensureUnregistered);

const MiB = 1024 * 1024;

/** Poll the stats file until `cond` holds (or fail after ms). */
async function waitStats(d: RunningDaemon, cond: (s: DaemonStats) => boolean, ms = 5000): Promise<DaemonStats | null> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const s = d.stats();
      if (cond(s)) return s;
    } catch { /* mid-rename */ }
    if (Date.now() > end) return null;
    await sleep(50);
  }
}

/** The daemon's stderr once it matches `re` (or as it is after `ms`): it reaches this process
 *  through a pipe, and can come after the stats file that shows the same change. */
async function waitStderr(d: RunningDaemon, re: RegExp, ms = 5000): Promise<string> {
  const end = Date.now() + ms;
  while (!re.test(d.stderr()) && Date.now() < end) await sleep(50);
  return d.stderr();
}

/** Wait until the daemon has taken everything (received stops moving, queue empty). */
async function settle(d: RunningDaemon): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const s = d.stats();
    if (s.received === last && s.queue.records === 0) return;
    last = s.received;
    await sleep(150);
  }
}

const base = { flush: 'incremental_async', freq: 50, max_log_file: 0, max_log_file_action: 'ignore', num_logs: 5, oom_score_adj: 'keep' };

t.test('SIGHUP applies queue_hwm / queue_overflow live; a bad config is refused and the old one kept', async (t) => {
  const dir = tempDir(t, 'tsauditd-hup-');
  writeConf(dir, { ...base, queue_hwm: 8192, queue_overflow: 'block' });
  const d = await startDaemon(t, dir);
  t.match(d.stats(), { policy: 'block', queue: { hwm: 8192, lwm: 4096 } }, 'started with the first config');

  writeConf(dir, { ...base, queue_hwm: 3000, queue_lwm: 1000, queue_overflow: 'drop' });
  d.proc.kill('SIGHUP');
  const s1 = await waitStats(d, (s) => s.policy === 'drop');
  t.ok(s1, 'stats show the new policy after HUP');
  t.match(s1, { policy: 'drop', queue: { hwm: 3000, lwm: 1000 } }, 'new HWM/LWM live');
  t.match(await waitStderr(d, /reloaded:/), /reloaded: changed queueHwm, queueLwm, queueOverflow/, 'says what changed');

  // A typo: the daemon must say why and keep running with the config it has.
  writeConf(dir, { ...base, queue_hwm: 500, queue_overflow: 'sometimes' });
  d.proc.kill('SIGHUP');
  t.match(await waitStderr(d, /reload refused/), new RegExp(`reload refused, keeping the running config: ${join(dir, 'auditd.conf')}:8: queue_overflow: "sometimes" is not one of block \\| drop \\| unbounded`),
    'bad config: file:line and the reason');
  await sleep(300);
  t.match(d.stats(), { policy: 'drop', queue: { hwm: 3000, lwm: 1000 }, state: 'running', registered: true }, 'old config kept, still running');

  t.equal(await d.stop(), 0, 'exit 0');
  const cfgRecs = await execa('ausearch', ['-if', join(dir, 'audit.log'), '-m', 'DAEMON_CONFIG', '--format', 'raw'], { reject: false });
  t.equal(cfgRecs.stdout.split('\n').filter((l) => l.startsWith('type=DAEMON_CONFIG')).length, 1, 'one DAEMON_CONFIG record: the good reload only');
  t.match(cfgRecs.stdout, /op=reconfigure changed=queueHwm,queueLwm,queueOverflow/);
});

t.test('SIGUSR1 rotates under load: audit.log.1 appears, new records go to audit.log, nothing lost', async (t) => {
  const dir = tempDir(t, 'tsauditd-usr1-');
  const auid = randomAuid();
  const key = `ts_usr1_${auid}`;
  const N = 30000;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, base);
  const d = await startDaemon(t, dir);
  const lost0 = (await status()).lost;
  const load = runLoad(auid, N);
  // rotate while the load is running: wait until some of it is in
  await waitStats(d, (s) => s.receivedSyscall > 2000, 10000);
  d.proc.kill('SIGUSR1');
  const rotated = await waitStats(d, () => existsSync(join(dir, 'audit.log.1')), 5000);
  t.ok(rotated, 'audit.log.1 appears');
  await load;
  await settle(d);
  t.equal(await d.stop(), 0, 'exit 0');
  const log0 = join(dir, 'audit.log');
  const log1 = join(dir, 'audit.log.1');
  const in1 = await ausearchCount([log1], key);
  const in0 = await ausearchCount([log0], key);
  t.comment(`events before the rotation: ${in1.count} in audit.log.1, after: ${in0.count} in audit.log`);
  t.ok(in1.count > 0, 'the rotated file holds the events before USR1');
  t.ok(in0.count > 0, 'new events go to the new audit.log');
  t.equal(in0.count + in1.count, N, 'every event exactly once across both files');
  t.equal(in0.stderr + in1.stderr, '', 'ausearch reports no error');
  t.notOk(existsSync(join(dir, 'audit.log.2')), 'one rotation, one old file');
  t.equal((await status()).lost, lost0, 'kernel lost counter unchanged');
  const s = d.stats();
  const lines = readFileSync(log0, 'utf8').split('\n').filter(Boolean).length + readFileSync(log1, 'utf8').split('\n').filter(Boolean).length;
  t.equal(lines, s.written, 'every written record is a line in one of the two files');
});

interface Tmpfs { mnt: string; fill: (bytes: number) => void; free: () => void }

async function tmpfs(t: Test, sizeMiB: number): Promise<Tmpfs> {
  const mnt = join(tempDir(t, 'tsauditd-tmpfs-'), 'mnt');
  mkdirSync(mnt);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tsauditd-test', mnt]);
  t.teardown(() => execa('umount', [mnt], { reject: false }));
  const filler = join(mnt, 'filler');
  return {
    mnt,
    fill: (bytes) => writeFileSync(filler, Buffer.alloc(bytes, 1)),
    free: () => rmSync(filler, { force: true }),
  };
}

t.test('SIGUSR2 resumes a writer suspended by admin_space_left; what it did not write is counted', async (t) => {
  const fs = await tmpfs(t, 16);
  fs.fill(10 * MiB); // 6 MiB free: below admin_space_left (8 MiB) from the start
  const dir = tempDir(t, 'tsauditd-usr2-');
  const auid = randomAuid();
  const key = `ts_usr2_${auid}`;
  const N1 = 3000;
  const N2 = 2000;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, {
    ...base, log_file: join(fs.mnt, 'audit.log'), space_left: 9, space_left_action: 'ignore',
    admin_space_left: 8, admin_space_left_action: 'suspend',
  });
  const d = await startDaemon(t, dir);
  const lost0 = (await status()).lost;
  const s0 = d.stats();
  t.ok(s0.suspended, 'suspended at start: below admin_space_left');
  t.match(s0.suspendReason, /admin_space_left/);

  // While suspended the daemon keeps draining the kernel and counts what it does not write.
  await runLoad(auid, N1);
  await settle(d);
  const s1 = d.stats();
  t.ok(s1.suspended, 'still suspended');
  t.ok(s1.dropped.suspended >= 4 * N1, `not written counted: ${s1.dropped.suspended} records (>= 4 per event, ${4 * N1})`);
  t.equal(s1.queue.records, 0, 'the queue drained: suspend does not stop intake');
  t.equal((await status()).lost, lost0, 'kernel lost nothing while suspended');
  t.equal((await ausearchCount([join(fs.mnt, 'audit.log')], key)).count, 0, 'none of them in the log');

  fs.free();
  d.proc.kill('SIGUSR2');
  const s2 = await waitStats(d, (s) => !s.suspended);
  t.ok(s2, 'USR2: no longer suspended');
  t.match(await waitStderr(d, /logging resumed/), /logging resumed/);
  await runLoad(auid, N2);
  await settle(d);
  t.equal(await d.stop(), 0, 'exit 0');
  const s3 = d.stats();
  t.notOk(s3.suspended, 'did not suspend again (space was freed)');
  const found = await ausearchCount([join(fs.mnt, 'audit.log')], key);
  t.equal(found.count, N2, 'every event after the resume is in the log');
  t.equal(found.stderr, '', 'ausearch reports no error');
  t.equal((await status()).lost, lost0, 'kernel lost counter unchanged');
  const resume = await execa('ausearch', ['-if', join(fs.mnt, 'audit.log'), '-m', 'DAEMON_RESUME', '--format', 'raw'], { reject: false });
  t.match(resume.stdout, new RegExp(`op=resume not_written=${s1.dropped.suspended} `), 'the resume record reports how many records were not written');
  t.equal(s3.dropped.suspended, s1.dropped.suspended, 'nothing more went unwritten after the resume');
});

t.test('SIGCONT writes the state report', async (t) => {
  const dir = tempDir(t, 'tsauditd-cont-');
  writeConf(dir, { ...base, queue_hwm: 5000, queue_overflow: 'drop' });
  const d = await startDaemon(t, dir);
  const file = join(dir, 'tsauditd.state');
  t.notOk(existsSync(file), 'no report before the signal');
  d.proc.kill('SIGCONT');
  const end = Date.now() + 5000;
  while (!existsSync(file) && Date.now() < end) await sleep(50);
  const text = readFileSync(file, 'utf8');
  const kv = new Map(text.trim().split('\n').map((l) => { const i = l.indexOf(' = '); return [l.slice(0, i), l.slice(i + 3)] as const; }));
  t.equal(kv.get('process id'), String(d.proc.pid));
  t.equal(kv.get('state'), 'running');
  t.equal(kv.get('registered with the kernel'), 'yes');
  t.equal(kv.get('queue policy'), 'drop');
  t.match(kv.get('queue high water mark'), /^5000 records, \d+ bytes$/);
  t.equal(kv.get('logging suspended'), 'no');
  t.match(kv.get('Logging partition free space'), /^\d+ MiB$/);
  t.match(kv.get('resident memory'), /^\d+ KiB$/);
  t.equal(await d.stop(), 0);
});
