// Layout detection from mountinfo and /proc/self/cgroup texts (pure parsing).
import t from 'tap';
import { detectCgroupLayout, parseProcCgroup } from '../../../harness/host/cgroup-detect.ts';

const V1_MOUNTINFO = `
24 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 24 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
28 24 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
29 24 0:27 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu
30 24 0:28 / /sys/fs/cgroup/blkio rw,nosuid - cgroup cgroup rw,blkio
`;
const V1_SELF = '9:name=systemd:/\n7:blkio:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n';

const V2_MOUNTINFO = '30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';

t.test('v1 with a v2 mount that has no controllers', async (t) => {
  const l = detectCgroupLayout({ mountinfo: V1_MOUNTINFO, procSelfCgroup: V1_SELF, readControllers: () => '' });
  t.same(l, {
    version: 1, memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu', io: '/sys/fs/cgroup/blkio',
    self: { memory: '/process_api/abc', cpu: '/', io: '/' },
  });
});

t.test('v1 with cpu,cpuacct co-mounted', async (t) => {
  const mi = '28 24 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' +
    '29 24 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n';
  const l = detectCgroupLayout({ mountinfo: mi, procSelfCgroup: '3:cpu,cpuacct:/x\n4:memory:/\n' });
  t.equal(l.cpu, '/sys/fs/cgroup/cpu,cpuacct');
  t.equal(l.self.cpu, '/x');
  t.equal(l.io, null, 'no blkio');
});

t.test('v2 with controllers', async (t) => {
  const l = detectCgroupLayout({ mountinfo: V2_MOUNTINFO, procSelfCgroup: '0::/user.slice/session-1.scope\n',
    readControllers: () => 'cpuset cpu io memory pids\n' });
  t.same(l, {
    version: 2, memory: '/sys/fs/cgroup', cpu: '/sys/fs/cgroup', io: '/sys/fs/cgroup',
    self: { memory: '/user.slice/session-1.scope', cpu: '/user.slice/session-1.scope', io: '/user.slice/session-1.scope' },
  });
});

t.test('no memory controller anywhere', async (t) => {
  t.throws(() => detectCgroupLayout({ mountinfo: V2_MOUNTINFO, procSelfCgroup: '0::/\n', readControllers: () => 'pids' }),
    /no cgroup hierarchy with the memory controller/);
});

t.test('parseProcCgroup', async (t) => {
  const p = parseProcCgroup(V1_SELF);
  t.equal(p.v1.get('memory'), '/process_api/abc');
  t.equal(p.v2, '/');
});
