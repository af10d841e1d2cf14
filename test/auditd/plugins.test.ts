// Plugins with the full daemon on the real kernel (run under the dev lock):
//   flock /run/lock/auditstorm-dev.lock npx tap test/auditd/plugins.test.ts
// A plugin configured in DIR/plugins.d (auditd syntax) is stopped with SIGSTOP under load:
//   drop:  the log keeps every event (exact count with ausearch), the plugin's drops are counted;
//   block: intake slows to the liveness floor (one record per queue_floor_ms into the reserve,
//   the kernel makes audited callers wait), RSS stays bounded, and after SIGCONT every event is logged;
// after SIGCONT everything flows again. Teardown SIGCONTs the plugin before the daemon stops it.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import {
  addOpenatRule, ausearchCount, enableAudit, ensureUnregistered, LOAD, LOAD_ENV, randomAuid, runLoad, sleep,
  startDaemon, status, tempDir, withControl, writeConf, type RunningDaemon,
} from './helpers/kernel-env.ts';
import type { DaemonStats } from '../../auditd/stats.ts';
import type { PluginProcessStats } from '../../auditd/plugin-process.ts';

const CAT = fileURLToPath(new URL('../fixtures/plugin-cat.sh', import.meta.url));
const MiB = 1024 * 1024;

t.before(ensureUnregistered);

const lineCount = (file: string) => (existsSync(file) ? readFileSync(file, 'latin1').split('\n').length - 1 : 0);
const plugin = (s: DaemonStats) => s.plugins[0] as PluginProcessStats;

function pluginConf(dir: string, out: string, extra: Record<string, string | number>): void {
  mkdirSync(join(dir, 'plugins.d'), { recursive: true });
  const lines = {
    active: 'yes', direction: 'out', path: CAT, type: 'always', args: out, format: 'string', ...extra,
  };
  writeFileSync(join(dir, 'plugins.d', 'cat.conf'),
    Object.entries(lines).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n', { mode: 0o644 });
}

/** SIGSTOP the plugin; teardown SIGCONTs it (the daemon's own stop then ends it). */
function stopPlugin(t: Test, pid: number): () => void {
  let stopped = true;
  process.kill(pid, 'SIGSTOP');
  const cont = () => {
    if (!stopped) return;
    stopped = false;
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  };
  t.teardown(cont);
  return cont;
}

async function settle(d: RunningDaemon): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const s = d.stats();
    if (s.received === last && s.queue.records === 0) return;
    last = s.received;
    await sleep(150);
  }
}

async function pluginPid(d: RunningDaemon): Promise<number> {
  const end = Date.now() + 5000;
  for (;;) {
    const p = d.stats().plugins[0];
    if (p?.pid) return p.pid;
    if (Date.now() > end) throw new Error(`plugin did not start: ${d.stderr()}`);
    await sleep(50);
  }
}

const base = { flush: 'incremental_async', freq: 50, max_log_file: 0, max_log_file_action: 'ignore', oom_score_adj: 'keep' };

t.test('drop: a stopped plugin drops (counted), the log keeps every event', async (t) => {
  const dir = tempDir(t, 'tsauditd-plug-drop-');
  const out = join(dir, 'plugin.out');
  const auid = randomAuid();
  const key = `ts_pdrop_${auid}`;
  const N = 20000;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, base);
  pluginConf(dir, out, { q_depth: 500, overflow_action: 'drop' });
  const d = await startDaemon(t, dir);
  const pid = await pluginPid(d);
  t.match(plugin(d.stats()), { name: 'cat.conf', state: 'running', queueCapacity: 500, overflowAction: 'drop' });
  const lost0 = (await status()).lost;

  const cont = stopPlugin(t, pid);
  await runLoad(auid, N);
  await settle(d);
  const mid = d.stats();
  const p = plugin(mid);
  t.comment(`plugin stopped: delivered ${p.delivered}, queued ${p.queueDepth}, dropped ${p.dropped}; log written ${mid.written}`);
  t.ok(p.dropped > 0, 'the plugin dropped records while stopped');
  t.equal(mid.dropped.plugin, p.dropped, 'stats.dropped.plugin counts them');
  t.ok(p.queueDepth <= 500, 'the plugin queue never passes q_depth');
  t.equal(mid.dropped.queue_full, 0, 'the main queue dropped nothing');
  t.notOk(mid.queue.paused, 'intake did not pause');

  cont();
  // SIGCONT: the plugin reads again and new records reach it
  const before = plugin(d.stats()).delivered;
  await runLoad(auid, 100);
  await settle(d);
  t.ok(plugin(d.stats()).delivered >= before + 500, 'after SIGCONT new records reach the plugin');

  t.equal(await d.stop(), 0, 'exit 0');
  const s = d.stats();
  const found = await ausearchCount([join(dir, 'audit.log')], key);
  t.equal(found.count, N + 100, 'ausearch finds every event in the log');
  t.equal(found.stderr, '', 'ausearch reports no error');
  t.equal((await status()).lost, lost0, 'kernel lost counter unchanged');
  const fin = plugin(s);
  t.equal(fin.delivered + fin.dropped + fin.lostOnCrash, s.processed, 'plugin: delivered + dropped = every record the daemon processed');
  t.equal(lineCount(out), fin.delivered, 'the plugin got every record it was handed');
});

t.test('block: a stopped plugin slows intake to the floor, not memory; SIGCONT lets everything flow, nothing lost', async (t) => {
  const dir = tempDir(t, 'tsauditd-plug-block-');
  const out = join(dir, 'plugin.out');
  const auid = randomAuid();
  const key = `ts_pblock_${auid}`;
  const HWM = 2000;
  const HWM_BYTES = 1 * MiB;
  const N = 40000;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 500 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, { ...base, queue_overflow: 'block', queue_hwm: HWM, queue_lwm: HWM / 2, queue_hwm_bytes: HWM_BYTES });
  pluginConf(dir, out, { q_depth: 500, overflow_action: 'block' });
  const d = await startDaemon(t, dir);
  const pid = await pluginPid(d);
  await sleep(500);
  const idle = d.stats();
  await withControl((c) => c.resetBacklogWaitActual());
  const lost0 = (await status()).lost;

  const cont = stopPlugin(t, pid);
  const load = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), String(N)], { reject: false, env: LOAD_ENV, extendEnv: false });
  t.teardown(() => { load.kill('SIGKILL'); });
  const samples: DaemonStats[] = [];
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    await sleep(100);
    samples.push(d.stats());
  }
  const st = await status();
  const last = samples[samples.length - 1];
  const peakRss = Math.max(...samples.map((s) => s.rssBytes));
  const RESERVE = 4096;
  const RESERVE_BYTES = 8 * MiB;
  const bound = idle.rssBytes + HWM_BYTES + RESERVE_BYTES + 16 * MiB;
  t.comment(`stalled: received ${last.received}, queue ${last.queue.records} records / ${last.queue.bytes} bytes, plugin queue ${plugin(last).queueDepth}; ` +
    `RSS idle ${(idle.rssBytes / MiB).toFixed(1)} peak ${(peakRss / MiB).toFixed(1)} bound ${(bound / MiB).toFixed(1)} MiB; ` +
    `kernel backlog ${st.backlog}, backlog_wait_time_actual ${st.backlogWaitTimeActualMs} ms, registered pid ${st.pid} (daemon ${d.proc.pid})`);
  t.ok(last.queue.paused, 'the input thread is pacing at the HWM');
  const half = samples[Math.floor(samples.length / 2)];
  const floorReads = last.received - half.received;
  // one record per 2 ms floor pass: at most 1,250 in 2.5 s (the free reads below the HWM would be
  // the whole load)
  t.ok(floorReads > 0 && floorReads <= 1500, `the liveness floor kept reading slowly in the second half (${floorReads} records)`);
  t.ok(Math.max(...samples.map((s) => s.queue.records)) <= HWM + RESERVE, 'main queue never above queue_hwm + queue_reserve');
  t.ok(peakRss <= bound, 'RSS under idle + queue_hwm_bytes + queue_reserve_bytes + 16 MiB');
  t.equal(last.socket.drops, 0, "the kernel's sends never timed out on our socket");
  t.ok(st.backlogWaitTimeActualMs > 0, 'the kernel made audited callers wait');
  t.equal(plugin(last).dropped, 0, 'block: the plugin dropped nothing');
  t.equal(last.dropped.queue_full, 0, 'block: the main queue dropped nothing');
  t.equal(load.exitCode, null, 'the load is still held up (running)');

  cont();
  const r = await load;
  t.equal(r.exitCode, 0, 'after SIGCONT the load completes');
  await settle(d);
  const after = d.stats();
  t.notOk(after.queue.paused, 'intake resumed');
  t.ok(after.received > last.received, 'records flow again');
  t.equal(await d.stop(), 0, 'exit 0');
  const s = d.stats();
  const fin = plugin(s);
  t.equal(fin.dropped, 0, 'no plugin drops');
  t.equal(fin.delivered, s.processed, 'the plugin got every record the daemon processed');
  t.equal(lineCount(out), fin.delivered, 'and wrote them all');
  t.equal(s.written, s.received - s.receivedEoe + s.daemonRecords, 'the log has every record the daemon accepted');
  const found = await ausearchCount([join(dir, 'audit.log')], key);
  t.comment(`${found.count} of ${N} events in the log; the kernel's lost counter rose by ${(await status()).lost - lost0}`);
  t.equal(found.count, N, 'every event is in the log: the paced intake lost none');
  t.equal((await status()).lost, lost0, 'the kernel lost nothing');
  t.equal(s.socket.drops, 0, 'socket drop counter still 0');
  t.equal(found.stderr, '', 'ausearch reports no error');
});
