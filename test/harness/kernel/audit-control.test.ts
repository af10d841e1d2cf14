// The control plane against the real kernel: every call, checked with Debian's auditctl.
import t from 'tap';
import { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { HostSession } from '../../../harness/host/host-session.ts';
import { auditctl, randomAuid, rulesSnapshot, settingsSnapshot, skipUnlessRoot } from '../../helpers/kernel.ts';

t.test('control plane on the real kernel', { skip: skipUnlessRoot }, async (t) => {
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();
  const session = await HostSession.begin({ lockWaitMs: 120_000 });
  t.teardown(async () => { await session.restore(); });
  const ctl = session.control;

  const before = await ctl.getStatus();
  t.ok(before.backlogLimit > 0, 'status decodes');
  t.ok(before.featureBitmap > 0, 'feature bitmap present on 6.x');

  await session.setStatus({ backlogLimit: 4321, rateLimit: 99, backlogWaitTimeMs: 1000 });
  const s = await ctl.getStatus();
  t.equal(s.backlogLimit, 4321);
  t.equal(s.rateLimit, 99);
  t.equal(s.backlogWaitTimeMs, 1000, 'ms converted to jiffies and back');
  t.match(auditctl('-s'), /backlog_limit 4321/, 'auditctl sees our setting');
  t.match(auditctl('-s'), /rate_limit 99/);

  await t.rejects(ctl.setStatus({ enabled: 2 as 1 }), { message: /refused/ }, 'enabled=2 never reaches the kernel');
  t.notMatch(auditctl('-s'), /enabled 2/);

  const features = await ctl.getFeatures();
  t.type(features.loginuidImmutable, 'boolean');

  // A rule as the kernel lists it, captured via auditctl, then added back by us.
  const auid = randomAuid();
  auditctl('-a', 'always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `auid=${auid}`, '-k', 'ctltest');
  const listed = await ctl.listRules();
  const ours = listed.find((r) => r.includes(Buffer.from('ctltest')));
  t.ok(ours, 'listRules returns the kernel rule data');
  await ctl.deleteRule(ours!);
  t.notMatch(rulesSnapshot(), /ctltest/, 'deleteRule removed it');
  await session.addRule(ours!);
  t.match(rulesSnapshot(), new RegExp(`auid=${auid} -F key=ctltest`), 'addRule loaded it, auditctl lists it');
  await t.rejects(ctl.addRule(ours!), { code: 'EEXIST' }, 'a duplicate rule is a typed EEXIST');
  await t.rejects(ctl.deleteRule(Buffer.alloc(1100)), { code: /EINVAL|ENOENT/ }, 'a garbage rule is a typed error');

  const lostBefore = (await ctl.getStatus()).lost;
  await t.rejects(ctl.sendUserMessage(1300, 'x'), { code: 'EINVAL' }, 'only user-range types');
  await ctl.sendUserMessage(1100, 'auditstorm control-plane test');
  t.equal((await ctl.getStatus()).lost >= lostBefore, true);

  const registered = await ctl.registeredDaemon();
  t.equal(registered, null, 'no daemon registered');

  await session.restore();
  t.equal(settingsSnapshot(), settings, 'settings restored exactly');
  t.equal(rulesSnapshot(), rules, 'rules restored exactly');
});

t.test('a second session waits for the lock or names the holder', { skip: skipUnlessRoot }, async (t) => {
  const first = await HostSession.begin({ lockWaitMs: 120_000 });
  t.teardown(() => first.restore());
  await t.rejects(HostSession.begin(), { name: 'LockHeldError', message: new RegExp(`pid ${process.pid}`) });
});

t.test('AuditControl works without a session for reads', { skip: skipUnlessRoot }, async (t) => {
  const ctl = await AuditControl.open();
  t.teardown(() => ctl.close());
  const [a, b] = await Promise.all([ctl.getStatus(), ctl.listRules()]);
  t.ok(a && Array.isArray(b), 'concurrent requests are matched by sequence');
});
