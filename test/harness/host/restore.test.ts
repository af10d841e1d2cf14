// The machine is left as found: after SIGKILL (via `auditstorm reset`), and after SIGINT/SIGTERM
// (by the run itself), settings and rules are exactly what auditctl printed before.
import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { readState } from '../../../harness/host/state-file.ts';
import { auditctl, randomAuid, rulesSnapshot, settingsSnapshot, skipUnlessRoot } from '../../helpers/kernel.ts';
import { acquireLock } from '../../../harness/host/lock.ts';
import { isAlive } from '../../../harness/host/proc-identity.ts';

const fixture = new URL('../../fixtures/host/change-and-wait.ts', import.meta.url).pathname;
const cli = new URL('../../../harness/bin/auditstorm.js', import.meta.url).pathname;

async function ruleFor(key: string, auid: number): Promise<string> {
  auditctl('-a', 'always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `auid=${auid}`, '-k', key);
  const ctl = await AuditControl.open();
  try {
    const r = (await ctl.listRules()).find((b) => b.includes(Buffer.from(key)))!;
    await ctl.deleteRule(r);
    return r.toString('base64');
  } finally {
    ctl.close();
  }
}

function startFixture(mode: string, rules: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode, ...rules], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => { const m = /ready (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.on('exit', (code) => reject(new Error(`fixture exited ${code} before ready: ${out}`)));
  });
  return { child, ready, output: () => out };
}

// A zombie (killed, not yet reaped by its new parent) counts as dead.
const alive = (pid: number) => isAlive({ pid, startTime: 0 });

t.test('SIGKILL mid-run, then `auditstorm reset` restores the exact prior state', { skip: skipUnlessRoot }, async (t) => {
  // Wait for any other user of kernel audit (the project lock), without holding it ourselves.
  (await acquireLock({ waitMs: 120_000 })).release();
  const auid = randomAuid();
  // A rule that was there before the run must stay.
  auditctl('-a', 'always,exit', '-F', 'arch=b64', '-S', 'unlinkat', '-F', `auid=${auid}`, '-k', 'preexisting');
  t.teardown(() => { try { auditctl('-d', 'always,exit', '-F', 'arch=b64', '-S', 'unlinkat', '-F', `auid=${auid}`, '-k', 'preexisting'); } catch { /* gone */ } });
  const rules = [await ruleFor('killtest1', auid), await ruleFor('killtest2', auid)];
  const settings = settingsSnapshot();
  const listing = rulesSnapshot();

  const f = startFixture('session', rules);
  const sleeper = await f.ready;
  t.match(auditctl('-s'), /backlog_limit 1234/, 'the run changed settings');
  t.match(rulesSnapshot(), /killtest2/, 'the run added rules');
  f.child.kill('SIGKILL');
  await once(f.child, 'exit');
  t.ok(readState(), 'a killed run leaves its state file');
  t.match(auditctl('-s'), /enabled 1/, 'still changed after the kill');

  const out = execFileSync(process.execPath, [cli, 'reset'], { encoding: 'utf8' });
  t.match(out, /restored:/);
  t.equal(settingsSnapshot(), settings, 'auditctl -s as before');
  t.equal(rulesSnapshot(), listing, 'auditctl -l as before: ours gone, the pre-existing rule kept');
  t.match(rulesSnapshot(), /preexisting/);
  t.notOk(alive(sleeper), 'the tracked child was killed');
  t.equal(readState(), null, 'state file removed');
  t.match(execFileSync(process.execPath, [cli, 'reset'], { encoding: 'utf8' }), /nothing to reset/, 'reset is idempotent');
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`${sig} mid-run: the run restores by itself`, { skip: skipUnlessRoot }, async (t) => {
    (await acquireLock({ waitMs: 120_000 })).release();
    const auid = randomAuid();
    const rules = [await ruleFor(`sig${sig}`, auid)];
    const settings = settingsSnapshot();
    const listing = rulesSnapshot();
    const f = startFixture('guarded', rules);
    const sleeper = await f.ready;
    t.match(auditctl('-s'), /rate_limit 77/);
    f.child.kill(sig);
    const [code] = await once(f.child, 'exit');
    t.equal(code, sig === 'SIGINT' ? 130 : 143, 'exit code says which signal');
    t.match(f.output(), /restored \d+ failed 0/);
    t.equal(settingsSnapshot(), settings);
    t.equal(rulesSnapshot(), listing);
    t.notOk(alive(sleeper));
    t.equal(readState(), null);
  });
}
