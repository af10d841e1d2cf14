// Why tsauditd has its own socket: an audit reader on the `netlink` package that stops reading
// (SIGSTOP) under load aborts the whole process once it runs again (the kernel's ENOBUFS surfaces
// as a libuv poll error and the binding throws out of the callback: "terminate called after
// throwing an instance of 'Napi::Error'"). Then the same treatment for our native socket inside
// tsauditd: it survives. Kernel test: flock /run/lock/auditstorm-dev.lock npx tap <this file>
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import {
  addOpenatRule, enableAudit, ensureUnregistered, LOAD, LOAD_ENV, randomAuid, sleep, startDaemon, status, tempDir, writeConf,
} from '../helpers/kernel-env.ts';

const READER = fileURLToPath(new URL('../../fixtures/netlink-pkg-reader.ts', import.meta.url));

t.before(ensureUnregistered);
t.teardown(ensureUnregistered);

t.test('netlink package reader: SIGSTOP under load, SIGCONT -> SIGABRT', async (t) => {
  const auid = randomAuid();
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, `ts_abort_${auid}`);
  const reader = spawn(process.execPath, ['--import', 'tsx', READER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  reader.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  reader.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => reader.on('exit', (code, signal) => r({ code, signal })));
  t.teardown(async () => {
    reader.kill('SIGCONT');
    reader.kill('SIGKILL');
    await exited;
    await ensureUnregistered();
  });
  for (let i = 0; i < 100 && !out.includes('registered'); i++) await sleep(50);
  t.match(out, /registered \d+/, 'the netlink-package reader registered');
  const load = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), '15000'], { reject: false, env: LOAD_ENV, extendEnv: false });
  await sleep(300);
  reader.kill('SIGSTOP');
  await load; // its records overrun the stopped reader's receive buffer (the load waits, then continues)
  reader.kill('SIGCONT');
  const res = await Promise.race([exited, sleep(10000).then(() => null)]);
  t.ok(res, 'the reader died after SIGCONT');
  t.equal(res?.signal, 'SIGABRT', 'killed by SIGABRT');
  t.match(err, /terminate called after throwing/, 'C++ exception escaped the binding');
  t.comment(err.split('\n').slice(0, 2).join(' | '));
});

t.test('tsauditd native socket: same SIGSTOP/SIGCONT, keeps running and keeps reading', async (t) => {
  const auid = randomAuid();
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, `ts_noabort_${auid}`);
  const dir = tempDir(t, 'tsauditd-stop-');
  // a small receive buffer so the kernel overruns it while we are stopped
  writeConf(dir, { flush: 'none', recv_buffer_bytes: 65536, oom_score_adj: 'keep' });
  const d = await startDaemon(t, dir);
  const load = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), '15000'], { reject: false, env: LOAD_ENV, extendEnv: false });
  await sleep(300);
  process.kill(d.proc.pid!, 'SIGSTOP');
  await load;
  process.kill(d.proc.pid!, 'SIGCONT');
  await sleep(1500);
  const before = d.stats().received;
  await execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), '2000'], { env: LOAD_ENV, extendEnv: false });
  await sleep(1000);
  const s = d.stats();
  t.equal(s.state, 'running', 'still running');
  t.ok(s.received >= before + 2000 * 4, `still receiving (${s.received - before} records after SIGCONT)`);
  t.equal(s.recvErrors, 0, 'no receive errors');
  t.equal(await d.stop(), 0);
  t.equal((await status()).pid, 0);
});
