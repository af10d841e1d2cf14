// The run cgroup on the host's real controller: create, limit, move, peak, cpu/io throttles,
// a real OOM kill seen by both the cgroup counter and /dev/kmsg, live lowering, cleanup.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRunCgroup, CgroupError, type RunCgroup } from '../../../harness/host/cgroup.ts';
import { cgroupLayout } from '../../../harness/host/cgroup-detect.ts';
import { cgroupStateDir } from '../../../harness/host/cgroup-state.ts';
import { KmsgMonitor, type KmsgEvent } from '../../../harness/monitors/kmsg.ts';

const alloc = new URL('../../fixtures/alloc.mjs', import.meta.url).pathname;
const MiB = 1024 * 1024;
const runId = (tag: string) => `t-${tag}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;

function spawnIn(cg: RunCgroup, args: string[]): { child: ChildProcess; lines: () => any[]; nextLine: () => Promise<any> } {
  const { file, args: a } = cg.spawnArgs(process.execPath, [alloc, ...args]);
  const child = spawn(file, a, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: any[] = [];
  const waiters: Array<(l: any) => void> = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      lines.push(l);
      waiters.shift()?.(l);
    }
  });
  return { child, lines: () => lines, nextLine: () => new Promise((r) => waiters.push(r)) };
}

t.test('layout: this host', async (t) => {
  const l = cgroupLayout();
  t.ok(l.version === 1 || l.version === 2, `cgroup v${l.version}, memory at ${l.memory}`);
  t.ok(existsSync(l.memory));
});

t.test('create, limit, move, usage, peak, throttles, destroy', async (t) => {
  const cg = await createRunCgroup({ runId: runId('basic'), memoryLimitBytes: 128 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  t.match(cg.name, /^auditstorm-t-basic-/);
  for (const d of cg.allDirs) t.ok(existsSync(d), `${d} exists`);
  t.ok(existsSync(join(cgroupStateDir(), `${cg.name}.json`)), 'state file written');
  let u = cg.memoryUsage();
  t.equal(u.limitBytes, 128 * MiB, 'limit set');
  t.equal(u.oomKills, 0);
  if (cg.version === 1 && existsSync(join(cg.dirs.memory, 'memory.memsw.limit_in_bytes'))) {
    t.equal(Number(readFileSync(join(cg.dirs.memory, 'memory.memsw.limit_in_bytes'), 'utf8')), 128 * MiB,
      'memory+swap limit equals the memory limit (no swap)');
  }

  const p = spawnIn(cg, ['--mib', '40']);
  t.teardown(() => { p.child.kill('SIGKILL'); });
  const ready = await p.nextLine();
  t.same(cg.pids(), [p.child.pid], 'the spawned process is in the group from the start');
  u = cg.memoryUsage();
  t.ok(u.usageBytes >= 40 * MiB, `usage ${u.usageBytes} >= 40 MiB`);
  t.ok(u.peakBytes! >= u.usageBytes, 'peak >= usage');
  t.ok(ready.rssKiB * 1024 >= 40 * MiB);
  // the 40 MiB the child touched is anonymous memory; page cache is what else the group reads/writes
  t.ok(u.anonBytes !== null && u.anonBytes >= 40 * MiB, `memory.stat anon ${u.anonBytes} >= 40 MiB`);
  t.ok(u.fileBytes !== null && u.fileBytes >= 0 && u.anonBytes! + u.fileBytes <= u.usageBytes + 4 * MiB, `anon + file (${u.fileBytes}) within usage`);

  // raise, then lower live above usage (memory-squeeze within what is reclaimable)
  cg.setMemoryLimit(256 * MiB);
  t.equal(cg.memoryUsage().limitBytes, 256 * MiB, 'raised');
  cg.setMemoryLimit(u.usageBytes + 32 * MiB);
  t.equal(cg.memoryUsage().limitBytes, Math.floor((u.usageBytes + 32 * MiB) / 4096) * 4096, 'lowered live');
  if (cg.version === 1) {
    // No swap: anonymous memory cannot be reclaimed, and v1 refuses instead of OOM-killing.
    const err = await t.throws(() => cg.setMemoryLimit(8 * MiB)) as unknown;
    t.ok(err instanceof CgroupError && err.code === 'EBUSY', 'v1 refuses a limit under unreclaimable usage with EBUSY');
    t.equal(cg.memoryUsage().oomKills, 0, 'and kills nobody');
  }
  t.ok(cg.resetPeak());

  // a second process moved in after start
  const other = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e6)'], { stdio: 'ignore' });
  t.teardown(() => { other.kill('SIGKILL'); });
  await sleep(100);
  cg.addPid(other.pid!);
  t.ok(cg.pids().includes(other.pid!), 'addPid moved it');
  for (const d of cg.allDirs) {
    t.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(other.pid)), `in ${d}`);
  }

  if (cg.dirs.cpu) {
    cg.setCpuQuota(0.1);
    const q = cg.version === 1 ? readFileSync(join(cg.dirs.cpu, 'cpu.cfs_quota_us'), 'utf8').trim()
      : readFileSync(join(cg.dirs.cpu, 'cpu.max'), 'utf8').trim();
    t.match(q, /^10000\b/, 'cpu quota = 10 ms per 100 ms');
    // a busy loop in the group is throttled
    const busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    t.teardown(() => { busy.kill('SIGKILL'); });
    cg.addPid(busy.pid!);
    await sleep(600);
    const th = cg.cpuThrottle()!;
    t.ok(th.throttledPeriods > 0 && th.throttledUs > 0, `throttled ${th.throttledPeriods} periods, ${th.throttledUs} us`);
    busy.kill('SIGKILL');
    await once(busy, 'exit');
    cg.setCpuQuota(null);
  }
  if (cg.dirs.io) {
    cg.setIoLimit('7:0', { writeBps: MiB });
    const f = cg.version === 1 ? join(cg.dirs.io, 'blkio.throttle.write_bps_device') : join(cg.dirs.io, 'io.max');
    t.match(readFileSync(f, 'utf8'), /7:0 (wbps=)?1048576/, 'write throttle for 7:0');
    cg.setIoLimit('7:0', {});
    t.notMatch(readFileSync(f, 'utf8'), /1048576/, 'removed');
    t.throws(() => cg.setIoLimit('loop0', { writeBps: 1 }), /major:minor/);
  }

  // destroy without kill: survivors move to the parent and live on
  const touched = await cg.destroy();
  t.same(touched.sort(), [p.child.pid, other.pid].sort(), 'both processes moved out');
  for (const d of cg.allDirs) t.notOk(existsSync(d), `${d} removed`);
  t.notOk(existsSync(join(cgroupStateDir(), `${cg.name}.json`)), 'state file removed');
  t.equal(p.child.exitCode, null, 'moved process still running');
  t.same(await cg.destroy(), [], 'destroy is idempotent');
});

t.test('a real OOM kill in a 64 MiB group: cgroup counter and kmsg agree', async (t) => {
  const kmsg = KmsgMonitor.open();
  t.teardown(() => kmsg.close());
  const cg = await createRunCgroup({ runId: runId('oom'), memoryLimitBytes: 64 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  const events: KmsgEvent[] = [];
  kmsg.on((e) => events.push(e));
  kmsg.start(50);
  const p = spawnIn(cg, ['--mib', '4', '--grow-mib', '4', '--every-ms', '20', '--name', 'oom-fixture']);
  const [, signal] = await once(p.child, 'exit');
  t.equal(signal, 'SIGKILL', 'the fixture was SIGKILLed');
  const u = cg.memoryUsage();
  t.equal(u.oomKills, 1, 'cgroup oom_kill counter is 1');
  t.ok(u.peakBytes! >= 60 * MiB && u.peakBytes! <= 64 * MiB, `peak ${u.peakBytes} at the limit`);
  const deadline = Date.now() + 3000;
  let kill: Extract<KmsgEvent, { kind: 'oom-kill' }> | undefined;
  while (!kill && Date.now() < deadline) {
    kill = events.find((e): e is Extract<KmsgEvent, { kind: 'oom-kill' }> => e.kind === 'oom-kill' && e.pid === p.child.pid);
    if (!kill) await sleep(50);
  }
  t.ok(kill, 'kmsg reported the kill');
  t.equal(kill?.name, 'oom-fixture', 'victim name from kmsg');
  t.equal(kill?.pid, p.child.pid, 'victim pid from kmsg');
  t.ok(kill?.cgroupOom, 'a memory cgroup OOM, not a global one');
  t.equal(kill?.memcg?.endsWith(`/${cg.name}`), true, `memcg ${kill?.memcg}`);
  t.equal(kill?.oomScoreAdj, 0);
});

t.test('bad input is refused with a reason', async (t) => {
  await t.rejects(createRunCgroup({ runId: 'bad/id' }), /run id must be/);
  const id = runId('dup');
  const cg = await createRunCgroup({ runId: id });
  t.teardown(() => cg.destroy({ kill: true }));
  await t.rejects(createRunCgroup({ runId: id }), { code: 'EEXIST' });
  t.throws(() => cg.setMemoryLimit(-5), /positive whole number/);
  t.throws(() => cg.setCpuQuota(0), /must be > 0/);
});
