// printk's settings are lifted for a run and put back as found (not to defaults), by the owner
// or by the undo record the session keeps; here on stand-in files, so no kernel state changes.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liftPrintkLimits } from '../../../harness/host/printk.ts';
import { runUndoSteps, type UndoStep } from '../../../harness/host/undo-steps.ts';

/** Records as the host session keeps them: steps, undone by the host layer's step runner. */
function fakeSession() {
  const tracked = new Map<number, UndoStep[]>();
  let next = 1;
  return {
    tracked,
    track(_by: string, _label: string, steps: UndoStep[]) { tracked.set(next, structuredClone(steps)); return next++; },
    async undo(id: number) { await runUndoSteps(tracked.get(id) ?? []); tracked.delete(id); },
  };
}

t.test('lift, then restore as found', async (t) => {
  const dir = t.testdir({ ratelimit: '7\n', levels: '7\t4\t1\t7\n' });
  const paths = { ratelimit: join(dir, 'ratelimit'), levels: join(dir, 'levels') };
  const session = fakeSession();
  const c = await liftPrintkLimits(session, paths);
  t.equal(readFileSync(paths.ratelimit, 'utf8'), '0');
  t.equal(readFileSync(paths.levels, 'utf8'), '5', 'console loglevel below NOTICE');
  t.equal(session.tracked.size, 1, 'an undo record before the change');
  await c.restore();
  t.equal(readFileSync(paths.ratelimit, 'utf8'), '7');
  t.equal(readFileSync(paths.levels, 'utf8'), '7');
  t.equal(session.tracked.size, 0);
});

t.test('the undo record alone puts it back (a run that died)', async (t) => {
  const dir = t.testdir({ ratelimit: '3', levels: '4 4 1 7' });
  const paths = { ratelimit: join(dir, 'ratelimit'), levels: join(dir, 'levels') };
  const session = fakeSession();
  const c = await liftPrintkLimits(session, paths);
  t.equal(c.consoleLevel, null, 'a console level already below NOTICE is left alone');
  // as `auditstorm reset` has it: the record, through JSON, and nothing of printk.ts
  const [rec] = [...session.tracked.values()];
  await runUndoSteps(JSON.parse(JSON.stringify(rec)) as UndoStep[]);
  t.equal(readFileSync(paths.ratelimit, 'utf8'), '3');
  t.equal(readFileSync(paths.levels, 'utf8'), '4');
  writeFileSync(paths.ratelimit, '0');
});
