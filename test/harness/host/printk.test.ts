// printk's settings are lifted for a run and put back as found (not to defaults), by the owner
// or by the undo record the session keeps; here on stand-in files, so no kernel state changes.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liftPrintkLimits } from '../../../harness/host/printk.ts';
import { undoHandler } from '../../../harness/host/undo-registry.ts';
import '../../../harness/host/undo-kinds.ts';

function fakeSession() {
  const tracked = new Map<number, { kind: string; data: unknown }>();
  let next = 1;
  return {
    tracked,
    track(kind: string, _label: string, data: unknown) { tracked.set(next, { kind, data }); return next++; },
    untrack(id: number) { tracked.delete(id); },
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
  const [rec] = [...session.tracked.values()];
  await undoHandler(rec!.kind)!(rec!.data);
  t.equal(readFileSync(paths.ratelimit, 'utf8'), '3');
  t.equal(readFileSync(paths.levels, 'utf8'), '4');
  writeFileSync(paths.ratelimit, '0');
});
