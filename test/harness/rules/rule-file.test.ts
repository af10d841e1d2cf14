import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CHECK_PLACEHOLDERS, rulesCheck, rulesLoad } from '../../../harness/rules/commands.ts';
import { decodeRule } from '../../../harness/rules/decode.ts';
import { RuleError } from '../../../harness/rules/errors.ts';
import { compileRuleText, readRuleFile } from '../../../harness/rules/rule-file.ts';
import { assertScoped, isScoped } from '../../../harness/rules/scope.ts';
import type { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { caught } from './catch-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'rules-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

t.test('placeholders are filled per word; columns still point into the file as written', async (t) => {
  const set = compileRuleText('-a always,exit -S openat -F auid=@AUID@ -F dir=@SCRATCH@/x -F perm=w\n-b 100\n',
    'p.rules', { placeholders: { AUID: '4200000007', SCRATCH: '/srv' } });
  t.equal(decodeRule(set.rules[0].data), '-a always,exit -S openat -F auid=-94967289 -F dir=/srv/x -F perm=w');
  t.equal(set.rules[0].text, '-a always,exit -S openat -F auid=4200000007 -F dir=/srv/x -F perm=w');
  t.same(set.settings, { backlogLimit: 100 });
  const e = caught(() => compileRuleText('-a always,exit -S openat -F auid=@AUID@ -F dir=@SCRATCH@', 'p.rules',
    { placeholders: { AUID: '1' } })) as RuleError;
  t.type(e, RuleError);
  t.equal(e.code, 'PLACEHOLDER');
  t.equal(e.col, 48, 'points at @SCRATCH@');
  t.match(e.message, 'p.rules:1:48: -F: placeholder @SCRATCH@ has no value');
  const auid = caught(() => compileRuleText('-a always,exit -S openat -F auid=@AUID@', 'p.rules')) as RuleError;
  t.match(auid.hint, '--auid');
});

t.test('isScoped: an auid= or pid= field; != and ranges do not scope', async (t) => {
  const rules = compileRuleText([
    '-a always,exit -S openat -F auid=5',
    '-a always,exit -S openat -F pid=5',
    '-a always,exit -S openat -F auid!=5',
    '-a always,exit -S openat -F auid>=1000',
    '-w /etc/passwd -p wa',
    '-a always,exit -S openat -F uid=0',
  ].join('\n'), 's.rules').rules;
  t.same(rules.map((r) => isScoped(r)), [true, true, false, false, false, false]);
  t.equal(isScoped(rules[0].rule), true, 'takes the RuleData too');
  const e = caught(() => assertScoped(rules, false)) as RuleError;
  t.equal(e.code, 'UNSCOPED');
  t.equal(e.line, 3);
  t.match(e.hint, '--allow-unscoped');
  t.doesNotThrow(() => assertScoped(rules, true));
});

t.test('readRuleFile: IO error names the file', async (t) => {
  const e = caught(() => readRuleFile(join(dir, 'missing.rules'))) as RuleError;
  t.equal(e.code, 'IO');
  t.match(e.message, /missing\.rules: the rule file does not exist/);
  t.match(e.message, 'ENOENT');
});

t.test('rulesCheck: per-file verdicts, first error of each file, canonical text', async (t) => {
  const good = file('good.rules', '# ok\n-a always,exit -F arch=b64 -S openat -F auid=@AUID@ -k storm\n-w /etc/passwd -p wa\n-b 8192\n');
  const bad = file('bad.rules', '-a always,exit -S openat -F auid=@AUID@\n-a always,exit -S nosuchcall -F auid=1\n-e 2\n');
  const report = rulesCheck([good, bad]);
  t.equal(report.ok, false);
  t.equal(report.files[0].ok, true);
  t.equal(report.files[0].rules, 2);
  t.equal(report.files[0].unscoped, 1);
  t.same(report.files[0].settings, { backlogLimit: 8192 });
  t.same(report.files[0].canonical, [
    `-a always,exit -F arch=b64 -S openat -F auid=${Number(CHECK_PLACEHOLDERS.AUID) | 0} -F key=storm`,
    '-w /etc/passwd -p wa',
  ]);
  t.equal(report.files[1].ok, false);
  t.equal(report.files[1].error?.code, 'UNKNOWN_SYSCALL');
  t.equal(report.files[1].error?.line, 2);
  t.equal(rulesCheck([good]).ok, true);
});

// A stand-in for the kernel that records calls: rulesLoad's ordering, rollback and refusals
// are pure logic (the oracle test drives the real kernel).
function fakeControl(failOn?: number) {
  const calls: string[] = [];
  let n = 0;
  const ctl = {
    addRule: async (b: Buffer) => {
      if (n++ === failOn) throw new Error('EEXIST');
      calls.push(`add ${decodeRule(b)}`);
    },
    deleteRule: async (b: Buffer) => { calls.push(`del ${decodeRule(b)}`); },
    setStatus: async (c: object) => { calls.push(`set ${JSON.stringify(c)}`); },
  } as unknown as AuditControl;
  return { ctl, calls };
}

t.test('rulesLoad: substitutes the auid, loads in order, applies settings only when asked', async (t) => {
  const f = file('load.rules', '-a always,exit -S openat -F auid=@AUID@\n--backlog_wait_time 250\n-d always,exit -S close -F auid=@AUID@\n');
  const { ctl, calls } = fakeControl();
  const res = await rulesLoad(ctl, [f], { auid: 4200000001, applySettings: true });
  t.equal(res.auid, 4200000001);
  t.equal(res.added.length, 1);
  t.equal(res.deleted.length, 1);
  t.same(calls, [
    'add -a always,exit -S openat -F auid=-94967295',
    'del -a always,exit -S close -F auid=-94967295',
    'set {"backlogWaitTimeJiffies":250}',
  ]);
  const picked = await rulesLoad(fakeControl().ctl, [f]);
  t.ok(picked.auid >= 4200000000 && picked.auid <= 4290000000, `picked ${picked.auid}`);
});

t.test('rulesLoad: refuses unscoped rules and -D before touching the kernel; rolls back on failure', async (t) => {
  const unscoped = file('unscoped.rules', '-a always,exit -S openat -F auid=@AUID@\n-w /etc/shadow -p wa\n');
  const a = fakeControl();
  const e = (await rulesLoad(a.ctl, [unscoped]).catch((x) => x)) as RuleError;
  t.equal(e.code, 'UNSCOPED');
  t.same(a.calls, [], 'nothing loaded');
  const b = fakeControl();
  await rulesLoad(b.ctl, [unscoped], { allowUnscoped: true });
  t.equal(b.calls.length, 2);

  const wipe = file('wipe.rules', '-D\n-a always,exit -S openat -F auid=@AUID@\n');
  const c = fakeControl();
  const d = (await rulesLoad(c.ctl, [wipe]).catch((x) => x)) as RuleError;
  t.equal(d.code, 'REFUSED');
  t.equal(d.line, 1);
  t.same(c.calls, []);

  const three = file('three.rules', '-a always,exit -S openat -F auid=@AUID@\n-a always,exit -S close -F auid=@AUID@\n-a always,exit -S read -F auid=@AUID@\n');
  const f = fakeControl(2);
  const err = await rulesLoad(f.ctl, [three], { auid: 7 }).catch((x) => x);
  t.match(String(err), 'EEXIST');
  t.same(f.calls, [
    'add -a always,exit -S openat -F auid=7',
    'add -a always,exit -S close -F auid=7',
    'del -a always,exit -S close -F auid=7',
    'del -a always,exit -S openat -F auid=7',
  ], 'the rules it added are taken out again, newest first');
  await t.rejects(rulesLoad(fakeControl().ctl, [three], { auid: -1 }), RangeError);
});

t.test('the project rule sets compile and every rule in them is scoped', async (t) => {
  const report = rulesCheck(['openat-storm', 'execve-storm', 'file-watch', 'network', 'field-broad']
    .map((n) => join(import.meta.dirname, '../../../rules', `${n}.rules`)));
  for (const f of report.files) {
    t.equal(f.ok, true, `${f.file} ${f.error?.message ?? ''}`);
    t.ok(f.rules > 0, f.file);
    t.equal(f.unscoped, 0, `${f.file} has no unscoped rule`);
  }
});
