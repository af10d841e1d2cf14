// What tools written for auditd expect of the daemon (real kernel, under the kernel lock), as
// linux-audit/audit-testsuite uses it: `tsauditd -c DIR` without -n/-f returns once the daemon is
// running, or fails with the reason; and a record made on a quiet system is in the log within a
// few milliseconds, since the tools search the log right after making it.
import t from 'tap';
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import {
  BIN, enableAudit, ensureUnregistered, randomAuid, sleep, startDaemon, status, tempDir, withControl, writeConf,
} from './helpers/kernel-env.ts';

t.before(ensureUnregistered);

async function gone(pid: number, ms = 15000): Promise<boolean> {
  for (const end = Date.now() + ms; ; await sleep(50)) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() >= end) return false;
  }
}

t.test('a bad config: the detaching command exits 2 with file:line and the reason, and prints no pid', async (t) => {
  const dir = tempDir(t, 'tsauditd-detach-bad-');
  writeConf(dir, { queue_overflow: 'sometimes' });
  const r = await execa(process.execPath, [BIN, '-c', dir], { reject: false, timeout: 30000 });
  t.equal(r.exitCode, 2);
  t.equal(r.stdout, '', 'no pid printed');
  t.match(r.stderr, `${join(dir, 'auditd.conf')}:1: queue_overflow: "sometimes" is not one of`);
  t.equal((await status()).pid, 0, 'nothing registered');
});

t.test('the detaching command returns once the daemon is registered and audit is enabled', async (t) => {
  const before = await status();
  t.teardown(() => withControl((c) => c.setStatus({ enabled: before.enabled as 0 | 1 })));
  // start from audit off, so that "enabled at return" is the daemon's doing
  await withControl((c) => c.setStatus({ enabled: 0 }));
  const dir = tempDir(t, 'tsauditd-detach-');
  writeConf(dir, { oom_score_adj: 'keep' });
  const r = await execa(process.execPath, [BIN, '-c', dir], { reject: false, timeout: 70000 });
  const atReturn = await status();
  const pid = Number(r.stdout.trim());
  t.teardown(async () => {
    if (pid > 0 && !(await gone(pid, 0))) {
      process.kill(pid, 'SIGTERM');
      if (!(await gone(pid))) process.kill(pid, 'SIGKILL');
    }
    await ensureUnregistered();
  });
  t.equal(r.exitCode, 0, r.stderr);
  t.ok(pid > 0, `prints the daemon's pid (${r.stdout.trim()})`);
  t.equal(atReturn.pid, pid, 'registered with the kernel when the command returns');
  t.equal(atReturn.enabled, 1, 'audit enabled when the command returns');
  process.kill(pid, 'SIGTERM');
  t.ok(await gone(pid), 'stops on SIGTERM');
  const after = await status();
  t.equal(after.pid, 0, 'unregistered at exit');
  t.equal(after.enabled, 0, 'the enabled flag it found is put back');
});

/**
 * Send N user records `gapMs` apart and time each from its send to its line in the log, polled as
 * a tool would find it (given up after 1 s: Infinity).
 */
async function sendToLine(log: string, mark: string, n: number, gapMs: number): Promise<number[]> {
  const ms: number[] = [];
  await withControl(async (c) => {
    for (let i = 0; i < n; i++) {
      await sleep(gapMs);
      const text = `${mark}:${i} `;
      const t0 = process.hrtime.bigint();
      await c.sendUserMessage(1121, text);
      for (;;) {
        const dt = Number(process.hrtime.bigint() - t0) / 1e6;
        if (readFileSync(log, 'latin1').includes(text)) {
          ms.push(dt);
          break;
        }
        if (dt > 1000) {
          ms.push(Infinity);
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
    }
  });
  return ms;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[xs.length >> 1];

t.test('a record made on a quiet system is in the log within a few ms (the input thread does not hold it back)', async (t) => {
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  const dir = tempDir(t, 'tsauditd-latency-');
  writeConf(dir, { oom_score_adj: 'keep', flush: 'incremental_async', stats_interval_ms: 10 });
  const d = await startDaemon(t, dir);
  // priority_boost (4) on every thread, as auditd has it on its one: the writer's threads too, so
  // a line posted at once is not held by a busy machine
  const base = getPriority(0);
  const nice = readdirSync(`/proc/${d.proc.pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${d.proc.pid}/task/${tid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
  t.ok(nice.length >= 3 && nice.every((n) => n <= base - 4), `every thread's nice value at most ${base - 4} (${nice.join(' ')})`);
  const log = join(dir, 'audit.log');
  const mark = `tslatency${randomAuid()}`;
  const N = 25;

  // quiet before each record: the input thread is asleep in poll()
  const apart = await sendToLine(log, `${mark}a`, N, 40);
  t.comment(`send -> line in the log, ${N} records 40 ms apart: median ${median(apart).toFixed(2)} ms, max ${sorted(apart)[N - 1].toFixed(2)} ms`);
  t.equal(apart.filter((x) => x === Infinity).length, 0, 'every record reached the log within 1 s');
  // Without the quiet-spell rule each record waits out the input thread's 40 ms coalescing window
  // (a median of 40 ms or more); with it ~1 ms on an idle machine, a few ms when other work
  // competes for the 2 cores.
  t.ok(median(apart) < 10, `median ${median(apart).toFixed(2)} ms < 10 ms`);

  // Records closer together than the window, as audit-testsuite's field_compare makes them
  // (auditctl -a, ausearch, auditctl -D: one record every 8 to 25 ms). A quiet spell measured as
  // "no post for one window" held every other one for the window and the rest for most of it
  // (send -> line alternating ~20 and ~8 ms); measured as the gap since the last read, each is
  // posted at once.
  const s0 = d.stats();
  const close = await sendToLine(log, `${mark}b`, N, 12);
  await sleep(150); // the stats file is rewritten every 10 ms while anything moves
  const prompt = d.stats().queue.promptPosts - s0.queue.promptPosts;
  t.comment(`send -> line in the log, ${N} records 12 ms apart: median ${median(close).toFixed(2)} ms, max ${sorted(close)[N - 1].toFixed(2)} ms; ${prompt} prompt posts`);
  t.equal(close.filter((x) => x === Infinity).length, 0, 'every record reached the log within 1 s');
  t.ok(median(close) < 6, `median ${median(close).toFixed(2)} ms < 6 ms`);
  t.ok(prompt >= N * 0.8, `at least 80% of them posted at once (${prompt} of ${N})`);
  t.equal(await d.stop(), 0);
});
