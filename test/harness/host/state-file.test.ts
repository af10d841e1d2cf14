// The state file's undo records are steps; a state file written by a version that named undo
// kinds is read: the host's own kinds become steps, any other kind is refused with its data.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readState, STATE_VERSION } from '../../../harness/host/state-file.ts';

t.test('a version 1 state file: host kinds become steps, a fault kind is refused with what to do', async (t) => {
  const dir = t.testdir({});
  const saved = process.env.AUDITSTORM_STATE_DIR;
  process.env.AUDITSTORM_STATE_DIR = dir;
  t.teardown(() => { if (saved === undefined) delete process.env.AUDITSTORM_STATE_DIR; else process.env.AUDITSTORM_STATE_DIR = saved; });
  writeFileSync(join(dir, 'state.json'), JSON.stringify({
    version: 1, owner: { pid: 1, startTime: 1, command: 'x' }, startedAt: 'then',
    audit: { before: { enabled: 0, failure: 1, pid: 0, rateLimit: 0, backlogLimit: 64, backlogWaitTime: 0 }, addedRules: [] },
    undo: [
      { id: 1, kind: 'cgroup', label: 'cgroup g', data: { name: 'g', dirs: ['/sys/fs/cgroup/memory/g'] } },
      { id: 2, kind: 'process', label: 'daemon', data: { pid: 42, startTime: 7, group: true } },
      { id: 3, kind: 'steps', label: 'printk', data: { steps: [{ op: 'write', path: '/proc/sys/kernel/printk_ratelimit', value: '5' }] } },
      { id: 4, kind: 'freeze-fs', label: 'frozen /mnt', data: { mountPoint: '/mnt' } },
    ],
  }));
  const s = readState()!;
  t.equal(s.version, STATE_VERSION);
  t.same(s.undo[0]!.steps, [{ op: 'cgroup', name: 'g', dirs: ['/sys/fs/cgroup/memory/g'] }]);
  t.same(s.undo[1]!.steps, [{ op: 'kill', proc: { pid: 42, startTime: 7 }, group: true }]);
  t.same(s.undo[2]!.steps, [{ op: 'write', path: '/proc/sys/kernel/printk_ratelimit', value: '5' }]);
  t.same(s.undo[3]!.steps, []);
  t.match(s.undo[3]!.refused, /older auditstorm as 'freeze-fs' \{"mountPoint":"\/mnt"\}.*undo it by hand, then delete .*state\.json/);
  t.notOk(s.undo[0]!.refused);
});

t.test('an unknown version is refused, saying what to do', async (t) => {
  const dir = t.testdir({ 'state.json': JSON.stringify({ version: 9, audit: { before: {} }, undo: [] }) });
  const saved = process.env.AUDITSTORM_STATE_DIR;
  process.env.AUDITSTORM_STATE_DIR = dir;
  t.teardown(() => { if (saved === undefined) delete process.env.AUDITSTORM_STATE_DIR; else process.env.AUDITSTORM_STATE_DIR = saved; });
  t.throws(() => readState(), /version 9.*restore by hand with auditctl, then delete it/);
});
