// cgroup v2 file formats, against a directory that stands in for cgroupfs: this host's v2
// hierarchy has no controllers, so the v2 code is checked for what it writes and how it parses.
// (Pure logic: regular files accept any write, so the kernel's own validation is not tested.)
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupV2 } from '../../../harness/host/cgroup-v2.ts';

function fakeGroup(t: { testdir: () => string }, files: Record<string, string>): CgroupV2 {
  const dir = join(t.testdir(), 'auditstorm-fake');
  mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
  return new CgroupV2('auditstorm-fake', { memory: dir, cpu: dir, io: dir });
}

t.test('memory limit, usage, peak, oom_kill', async (t) => {
  const cg = fakeGroup(t, {
    'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.current': '1234567\n', 'memory.peak': '2345678\n',
    'memory.events': 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n', 'cgroup.procs': '',
    'memory.stat': 'anon 1000000\nfile 200000\nkernel 34567\nshmem 0\nfile_mapped 0\n',
  });
  t.same(cg.memoryUsage(), { usageBytes: 1234567, peakBytes: 2345678, limitBytes: null, oomKills: 2, anonBytes: 1000000, fileBytes: 200000 },
    'memory.stat splits usage into anon and file (page cache)');
  cg.setMemoryLimit(64 * 1024 * 1024);
  t.equal(readFileSync(join(cg.dirs.memory, 'memory.max'), 'utf8'), String(64 * 1024 * 1024));
  t.equal(readFileSync(join(cg.dirs.memory, 'memory.swap.max'), 'utf8'), '0', 'no swap by default');
  t.equal(cg.memoryUsage().limitBytes, 64 * 1024 * 1024);
  cg.setMemoryLimit(null);
  t.equal(readFileSync(join(cg.dirs.memory, 'memory.max'), 'utf8'), 'max');
  t.ok(cg.resetPeak());
});

t.test('no memory.peak (kernel < 5.19)', async (t) => {
  const cg = fakeGroup(t, { 'memory.max': '100\n', 'memory.current': '5\n', 'memory.events': 'oom_kill 0\n' });
  t.equal(cg.memoryUsage().peakBytes, null);
  t.same([cg.memoryUsage().anonBytes, cg.memoryUsage().fileBytes], [null, null], 'no memory.stat: no split, usage still read');
});

t.test('cpu.max and io.max', async (t) => {
  const cg = fakeGroup(t, { 'cpu.max': 'max 100000\n', 'io.max': '', 'cpu.stat': 'usage_usec 5\nnr_periods 10\nnr_throttled 4\nthrottled_usec 777\n' });
  cg.setCpuQuota(0.25);
  t.equal(readFileSync(join(cg.dirs.memory, 'cpu.max'), 'utf8'), '25000 100000');
  cg.setCpuQuota(null);
  t.equal(readFileSync(join(cg.dirs.memory, 'cpu.max'), 'utf8'), 'max 100000');
  t.same(cg.cpuThrottle(), { periods: 10, throttledPeriods: 4, throttledUs: 777 });
  cg.setIoLimit('7:0', { writeBps: 1048576 });
  t.equal(readFileSync(join(cg.dirs.memory, 'io.max'), 'utf8'), '7:0 wbps=1048576 rbps=max wiops=max riops=max');
});

t.test('spawnArgs enters the one v2 directory', async (t) => {
  const cg = fakeGroup(t, {});
  const { file, args } = cg.spawnArgs('/bin/true', ['x']);
  t.equal(file, '/bin/sh');
  t.match(args[1], /^echo \$\$ > '.*auditstorm-fake\/cgroup.procs' && exec "\$@"$/);
  t.same(args.slice(3), ['/bin/true', 'x']);
});
