// After the harness is SIGKILLed, its cgroup and the processes in it remain; the leftover
// cleanup removes them, and never touches a live run's group.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeLeftoverCgroups } from '../../../harness/host/cgroup-cleanup.ts';
import { cgroupStateDir } from '../../../harness/host/cgroup-state.ts';
import { isAlive } from '../../../harness/host/proc-identity.ts';

const owner = new URL('../../fixtures/cgroup-owner.ts', import.meta.url).pathname;
const alive = (pid: number) => isAlive({ pid, startTime: 0 });

t.test('leftovers of a SIGKILLed harness are removed; a live run is left alone', async (t) => {
  const runId = `t-leftover-${process.pid}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', owner, runId], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { proc.kill('SIGKILL'); });
  const [line] = await once(proc.stdout!, 'data');
  const info = JSON.parse(String(line)) as { name: string; dirs: string[]; child: number };
  t.teardown(() => { try { process.kill(info.child, 'SIGKILL'); } catch { /* gone */ } });
  t.ok(info.dirs.every((d) => existsSync(d)), 'group exists while its owner runs');

  // Owner alive: not a leftover.
  let report = await removeLeftoverCgroups();
  t.ok(info.dirs.every((d) => existsSync(d)), 'a live run\'s group is not removed');
  t.ok(alive(info.child), 'nor its process killed');
  t.notOk(report.removed.some((d) => d.includes(info.name)));

  proc.kill('SIGKILL');
  await once(proc, 'exit');
  t.ok(info.dirs.every((d) => existsSync(d)), 'SIGKILL of the owner leaves the group behind');
  t.ok(alive(info.child), 'and the process inside it running');
  t.ok(existsSync(join(cgroupStateDir(), `${info.name}.json`)), 'and its state file');

  report = await removeLeftoverCgroups();
  for (const d of info.dirs) t.ok(report.removed.includes(d), `removed ${d}`);
  t.ok(report.pids.includes(info.child), 'the process inside was killed');
  for (const d of info.dirs) t.notOk(existsSync(d), `${d} gone`);
  t.notOk(existsSync(join(cgroupStateDir(), `${info.name}.json`)), 'state file gone');
  for (let i = 0; i < 40 && alive(info.child); i++) await sleep(50);
  t.notOk(alive(info.child), 'process is dead');

  report = await removeLeftoverCgroups();
  t.notOk(report.removed.some((d) => d.includes(info.name)), 'idempotent');
});

t.test('a group with no state file is found by the directory scan', async (t) => {
  const { createRunCgroup } = await import('../../../harness/host/cgroup.ts');
  const { removeCgroupState } = await import('../../../harness/host/cgroup-state.ts');
  const cg = await createRunCgroup({ runId: `t-scan-${process.pid}` });
  t.teardown(() => cg.destroy({ kill: true }));
  removeCgroupState(cg.name);
  const report = await removeLeftoverCgroups();
  for (const d of cg.allDirs) {
    t.ok(report.removed.includes(d), `scan removed ${d}`);
    t.notOk(existsSync(d));
  }
});
