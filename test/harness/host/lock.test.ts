// The kernel audit lock lives in the state directory (/run/auditstorm); between runs that
// directory holds nothing, so releasing the lock removes it unless something `reset` needs is
// still there. Pure file-system logic, in a scratch directory (AUDITSTORM_STATE_DIR).
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LockHeldError } from '../../../harness/host/lock.ts';
import { writeCgroupState, removeCgroupState } from '../../../harness/host/cgroup-state.ts';
import { selfIdentity } from '../../../harness/host/proc-identity.ts';

const root = mkdtempSync(join(tmpdir(), 'lock-'));
const saved = process.env.AUDITSTORM_STATE_DIR;
t.teardown(() => {
  if (saved === undefined) delete process.env.AUDITSTORM_STATE_DIR; else process.env.AUDITSTORM_STATE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function freshStateDir(): string {
  const dir = join(root, `state-${n++}`);
  process.env.AUDITSTORM_STATE_DIR = dir;
  return dir;
}

t.test('release removes the state directory it made, and the cgroup records directory once empty', async (t) => {
  const dir = freshStateDir();
  const lock = await acquireLock();
  t.ok(existsSync(join(dir, 'lock')), 'the lock file names its holder');
  writeCgroupState({ name: 'g', version: 2, dirs: [], owner: selfIdentity(), createdAt: new Date().toISOString() });
  removeCgroupState('g');
  lock.release();
  t.notOk(existsSync(dir), 'nothing left behind');
});

t.test('what reset needs keeps the directory: a state file, or a cgroup record', async (t) => {
  const withState = freshStateDir();
  let lock = await acquireLock();
  writeFileSync(join(withState, 'state.json'), '{}');
  lock.release();
  t.ok(existsSync(join(withState, 'state.json')), 'the state file stays');
  t.notOk(existsSync(join(withState, 'lock')), 'the lock is gone');

  const withCgroup = freshStateDir();
  lock = await acquireLock();
  writeCgroupState({ name: 'left', version: 1, dirs: ['/sys/fs/cgroup/memory/x'], owner: selfIdentity(), createdAt: new Date().toISOString() });
  lock.release();
  t.ok(existsSync(join(withCgroup, 'cgroups', 'left.json')), 'the cgroup record stays');
});

t.test('a second taker is refused while the lock is held, and takes it after the release', async (t) => {
  const dir = freshStateDir();
  mkdirSync(dir);
  const first = await acquireLock();
  // the holder is this process: alive, so the lock is not stale
  await t.rejects(acquireLock(), LockHeldError);
  first.release();
  const second = await acquireLock();
  t.ok(existsSync(join(dir, 'lock')));
  second.release();
  t.notOk(existsSync(dir));
});
