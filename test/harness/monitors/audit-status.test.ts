// The audit-status source against the real kernel (read-only: no lock needed).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { AuditStatusMonitor } from '../../../harness/monitors/audit-status.ts';

t.test('polls the kernel without waiting; figures match auditctl -s', async (t) => {
  const control = await AuditControl.open();
  t.teardown(() => control.close());
  const mon = new AuditStatusMonitor(control);
  t.equal(mon.poll(), null, 'nothing before the first answer; poll does not block');
  await sleep(100);
  const s = mon.poll();
  t.ok(s, 'an answer arrived between polls');
  const text = execFileSync('auditctl', ['-s'], { encoding: 'utf8' });
  const field = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(text)![1]);
  t.equal(s!.backlogLimit, field('backlog_limit'));
  t.equal(s!.pid, field('pid'));
  t.ok(s!.lost <= field('lost'), 'lost is a counter (never ahead of a later read)');
  t.ok(s!.backlog >= 0 && s!.waitActualMs >= 0);
  t.ok(s!.ageMs < 1000, `age ${s!.ageMs} ms`);
  t.equal(mon.errors, 0);
});

t.test('a failing source is counted, not thrown', async (t) => {
  const mon = new AuditStatusMonitor({ getStatus: () => Promise.reject(new Error('boom')) });
  t.equal(await mon.refresh(), null);
  t.equal(mon.errors, 1);
  t.equal(mon.lastError, 'boom');
});
