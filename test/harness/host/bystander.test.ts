// "Everyone else gets shot": bystanders at oom_score_adj +1000 in the daemon's cgroup are the
// OOM killer's first victims; the growing process at 0 dies only after them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRunCgroup } from '../../../harness/host/cgroup.ts';
import { Bystanders } from '../../../harness/host/bystander.ts';
import { KmsgMonitor, type KmsgEvent } from '../../../harness/monitors/kmsg.ts';

const alloc = new URL('../../fixtures/alloc.mjs', import.meta.url).pathname;
const MiB = 1024 * 1024;

t.test('bystanders at +1000 die before the grower at 0', async (t) => {
  const kmsg = KmsgMonitor.open();
  t.teardown(() => kmsg.close());
  const cg = await createRunCgroup({ runId: `t-bystander-${process.pid}`, memoryLimitBytes: 200 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  const by = await Bystanders.start({ cgroup: cg, count: 2, mib: 8 });
  t.teardown(() => by.stop());
  const kills: Array<Extract<KmsgEvent, { kind: 'oom-kill' }>> = [];
  kmsg.on((e) => {
    by.noteKmsg(e);
    if (e.kind === 'oom-kill') kills.push(e);
  });
  kmsg.start(50);
  for (const b of by.list()) {
    t.equal(b.oomScoreAdj, 1000, `${b.name} runs at +1000`);
    t.ok(b.alive && b.rssBytes > 8 * MiB, `${b.name} holds ${(b.rssBytes / MiB).toFixed(0)} MiB`);
    t.ok(cg.pids().includes(b.pid), `${b.name} is in the cgroup`);
  }

  const { file, args } = cg.spawnArgs(process.execPath, [alloc, '--grow-mib', '4', '--every-ms', '40', '--name', 'grower']);
  const grower = spawn(file, args, { stdio: 'ignore' });
  t.teardown(() => { grower.kill('SIGKILL'); });
  const [, signal] = await once(grower, 'exit');
  t.equal(signal, 'SIGKILL', 'the grower was finally killed too');
  for (let i = 0; i < 40 && !kills.some((k) => k.pid === grower.pid); i++) await new Promise((r) => setTimeout(r, 50));

  const order = kills.filter((k) => k.memcg?.endsWith(cg.name)).map((k) => k.name);
  t.same(order.slice(0, 2).sort(), ['bystander-0', 'bystander-1'], `bystanders first: ${order.join(', ')}`);
  t.equal(order.at(-1), 'grower', 'grower last');
  t.equal(cg.memoryUsage().oomKills, order.length, 'cgroup counter agrees with kmsg');
  for (const b of by.list()) {
    t.notOk(b.alive, `${b.name} is dead`);
    t.equal(b.signal, 'SIGKILL');
    t.equal(b.killedBy, 'oom-killer', `${b.name} killed by the OOM killer`);
  }
});

t.test('stop() ends survivors and says so', async (t) => {
  const cg = await createRunCgroup({ runId: `t-bystop-${process.pid}`, memoryLimitBytes: 128 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  const by = await Bystanders.start({ cgroup: cg, count: 1, mib: 4, namePrefix: 'idle' });
  t.match(by.undoSteps()[0], { op: 'kill', group: true }, 'its undo ends the process group');
  const states = await by.stop();
  t.equal(states[0].name, 'idle-0');
  t.equal(states[0].killedBy, 'stopped');
  t.same(cg.pids(), []);
  t.same(await by.stop(), states, 'idempotent');
});

t.test('a bystander that cannot fit says why', async (t) => {
  const cg = await createRunCgroup({ runId: `t-byfail-${process.pid}`, memoryLimitBytes: 24 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  await t.rejects(Bystanders.start({ cgroup: cg, count: 1, mib: 64 }), /did not start.*SIGKILL/);
});
