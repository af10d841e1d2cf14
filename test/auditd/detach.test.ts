// `tsauditd -c DIR` without -n/-f, as an init script starts it (real kernel, under the kernel lock):
// like auditd, the command returns once the daemon is running, or fails with the reason.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { BIN, ensureUnregistered, sleep, status, tempDir, withControl, writeConf } from './helpers/kernel-env.ts';

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
