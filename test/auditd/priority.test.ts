// boostThreads over a task directory: a thread that is gone by the time it is boosted is skipped,
// not reported as a failure (no root or kernel audit needed: nothing real is reniced).
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { boostThreads } from '../../auditd/priority.ts';

t.test('a thread that exited meanwhile is no failure; a boost of 0 touches nothing', async (t) => {
  const dir = t.testdir();
  const tasks = join(dir, 'task');
  mkdirSync(join(tasks, '2147483000'), { recursive: true }); // no such thread
  t.same(boostThreads(4, -1, tasks), { boosted: 0, error: null });
  t.same(boostThreads(0, -1, '/nonexistent'), { boosted: 0, error: null });
  t.match(boostThreads(4, -1, join(dir, 'missing')).error, /ENOENT/, 'an unreadable task directory is reported');
});
