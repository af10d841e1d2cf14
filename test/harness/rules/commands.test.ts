// rules load / rules list on the live kernel: what the CLI commands do, end to end.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { pickRunAuid, rulesList, rulesLoad } from '../../../harness/rules/commands.ts';
import { skipUnlessRoot } from '../../helpers/kernel.ts';

const RULES = join(import.meta.dirname, '../../../rules');

t.test('rulesLoad adds exactly the file\'s rules; rulesList shows them as auditctl -l does', { skip: skipUnlessRoot }, async (t) => {
  const ctl = await AuditControl.open();
  const added: Buffer[] = [];
  t.teardown(async () => {
    for (const b of added) await ctl.deleteRule(b).catch(() => undefined);
    ctl.close();
  });
  const before = (await rulesList(ctl)).map((r) => r.text);
  const auid = pickRunAuid();
  const res = await rulesLoad(ctl, [join(RULES, 'openat-storm.rules'), join(RULES, 'network.rules')], { auid });
  added.push(...res.added);
  t.equal(res.auid, auid);
  t.equal(res.added.length, 9);
  const listed = (await rulesList(ctl)).map((r) => r.text).filter((x) => !before.includes(x));
  const auditctlSays = execFileSync('auditctl', ['-l'], { encoding: 'utf8' }).trimEnd().split('\n')
    .filter((x) => !before.includes(x));
  t.same(listed, auditctlSays);
  t.equal(listed.length, 9);
  t.ok(listed.every((l) => l.includes(`-F auid=${auid | 0}`)), 'every rule carries the run auid');
  // a second load of the same rules fails in the kernel (EEXIST) and leaves nothing of its own
  await t.rejects(rulesLoad(ctl, [join(RULES, 'openat-storm.rules')], { auid }));
  t.equal((await rulesList(ctl)).length, before.length + 9, 'the failed load took its partial rules back out');
  for (const b of res.added) await ctl.deleteRule(b);
  added.length = 0;
  t.same((await rulesList(ctl)).map((r) => r.text), before, 'back to the rules before');
});
