// Oracle: our compiler against Debian's auditctl on the real kernel. For every rule in
// rules/*.rules and test/fixtures/rules/oracle.rules: load with our compiler through the kernel
// control plane, list with `auditctl -l`; take them out; load the same text with `auditctl -R`,
// list again. The listings (and the raw rule payloads the kernel lists) must be identical, and
// our decoder must print the kernel's listed rules exactly as `auditctl -l` does.
// Every rule is scoped to a random auid of the run range, so nothing else is audited. The test
// takes out exactly the rules it added, also when it fails (t.teardown).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AuditControl } from '../../../harness/kernel/audit-control.ts';
import { pickRunAuid } from '../../../harness/rules/commands.ts';
import { decodeRule } from '../../../harness/rules/decode.ts';
import { F, FIELDS, Filter, Op } from '../../../harness/rules/fields.ts';
import { compileRuleText } from '../../../harness/rules/rule-file.ts';
import { isScoped } from '../../../harness/rules/scope.ts';
import { skipUnlessRoot } from '../../helpers/kernel.ts';

const ROOT = join(import.meta.dirname, '../../..');
const SOURCES = [
  ...readdirSync(join(ROOT, 'rules')).filter((f) => f.endsWith('.rules')).sort().map((f) => join(ROOT, 'rules', f)),
  join(ROOT, 'test/fixtures/rules/oracle.rules'),
];
// The fields the issue lists; each must appear in at least one oracle rule.
const REQUIRED_FIELDS = ['auid', 'uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'pid', 'ppid', 'exit', 'success',
  'key', 'path', 'dir', 'perm', 'exe', 'msgtype', 'filetype', 'inode', 'devmajor', 'devminor', 'a0', 'a1', 'a2', 'a3',
  'arch', 'sessionid'];

const auditctl = (...args: string[]): string => execFileSync('auditctl', args, { encoding: 'utf8' }).trimEnd();
const listing = (): string[] => {
  const out = auditctl('-l');
  return out === 'No rules' ? [] : out.split('\n');
};

t.test('oracle: our compiler vs auditctl -R on the live kernel', { skip: skipUnlessRoot }, async (t) => {
  const auid = pickRunAuid();
  const work = mkdtempSync('/tmp/auditstorm-oracle-');
  const scratch = join(work, 'scratch');
  mkdirSync(scratch);
  const placeholders = { AUID: String(auid), SCRATCH: scratch };

  // One text with every rule, placeholders filled, for auditctl -R.
  const texts: string[] = [];
  for (const src of SOURCES) {
    for (const line of readFileSync(src, 'utf8').split('\n')) {
      if (/^\s*(#|$)/.test(line)) continue;
      texts.push(line.replaceAll('@AUID@', String(auid)).replaceAll('@SCRATCH@', scratch));
    }
  }
  // Ours, compiled from the files themselves (placeholders filled by our substitution).
  const rules = SOURCES.flatMap((src) => compileRuleText(readFileSync(src, 'utf8'), src, { placeholders }).rules);
  t.equal(rules.length, texts.length, 'one compiled rule per rule line');
  t.ok(rules.every((r) => r.op === 'add' && isScoped(r)), 'every oracle rule is an add scoped by auid/pid');

  const distinct = new Set(rules.map((r) => r.data.toString('hex')));
  t.equal(distinct.size, rules.length, 'no duplicate rules (the kernel would refuse them)');
  t.ok(distinct.size >= 40, `${distinct.size} distinct rules (at least 40)`);
  const used = new Set(rules.flatMap((r) => r.rule.fields.map((f) => f.field)));
  for (const name of REQUIRED_FIELDS) {
    const spec = FIELDS.find((f) => f.name === name);
    t.ok(spec && used.has(spec.number), `field ${name} is covered`);
  }
  const ops = new Set(rules.flatMap((r) => r.rule.fields.map((f) => f.op)));
  for (const op of Object.values(Op)) t.ok(ops.has(op), `operator 0x${op.toString(16)} is covered`);
  const lists = new Set(rules.map((r) => r.rule.flags & 7));
  for (const l of [Filter.EXIT, Filter.USER, Filter.EXCLUDE, Filter.TASK]) t.ok(lists.has(l), `list ${l} is covered`);
  t.ok(rules.some((r) => r.rule.action === 0), 'never is covered');
  t.ok(rules.some((r) => (r.rule.flags & 0x10) !== 0), '-A (prepend) is covered');
  t.ok(rules.some((r) => r.rule.fields.some((f) => f.field === F.ARCH && f.value === 0x40000003)), 'b32 is covered');

  const ctl = await AuditControl.open();
  const before = await ctl.listRules();
  const beforeHex = new Set(before.map((b) => b.toString('hex')));
  const beforeText = listing();
  // Exactly what we put in: kernel-listed payloads not present before.
  const ours = async (): Promise<Buffer[]> => (await ctl.listRules()).filter((b) => !beforeHex.has(b.toString('hex')));
  const oursText = (): string[] => {
    const rest = [...beforeText];
    return listing().filter((l) => {
      const i = rest.indexOf(l);
      if (i >= 0) { rest.splice(i, 1); return false; }
      return true;
    });
  };
  t.teardown(async () => {
    for (const b of await ours()) await ctl.deleteRule(b).catch(() => undefined);
    ctl.close();
    rmSync(work, { recursive: true, force: true });
  });

  // 1. our compiler -> kernel -> auditctl -l
  for (const r of rules) await ctl.addRule(r.data);
  const listedOurs = await ours();
  t.equal(listedOurs.length, rules.length, 'the kernel lists every rule we added');
  const textOurs = oursText();
  t.equal(textOurs.length, rules.length);
  t.same(listedOurs.map(decodeRule), textOurs, 'our decoder prints the kernel list exactly as auditctl -l');
  for (const b of listedOurs) await ctl.deleteRule(b);
  t.same(await ours(), [], 'all our rules taken out again');

  // 2. the same text through auditctl -R
  const file = join(work, 'oracle.rules');
  writeFileSync(file, `${texts.join('\n')}\n`);
  chmodSync(file, 0o600);
  let loadError = '';
  try {
    execFileSync('auditctl', ['-R', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    loadError = String((err as { stderr?: string }).stderr ?? err);
  }
  const listedTheirs = await ours();
  const textTheirs = oursText();
  t.equal(loadError, '', 'auditctl -R loads every rule');
  t.same(textTheirs, textOurs, 'auditctl -l lists both loads identically');
  t.same(listedTheirs.map((b) => b.toString('hex')), listedOurs.map((b) => b.toString('hex')),
    'the kernel holds byte-identical rules either way');
  t.same(listedTheirs.map(decodeRule), textTheirs, 'our decoder matches auditctl -l for auditctl\'s own load');
  for (const b of listedTheirs) await ctl.deleteRule(b);
  t.same(listing(), beforeText, 'the rule list is back to what it was');
  t.comment(`${distinct.size} distinct rules from ${SOURCES.length} files, auid ${auid}`);
});

t.test('oracle: -w watches compile as auditctl builds them (on a private scratch path)', { skip: skipUnlessRoot }, async (t) => {
  // -w cannot carry an auid: the watched paths live in a fresh mkdtemp directory no other
  // process knows, and the rules stay loaded only for the few milliseconds of the comparison.
  const work = mkdtempSync('/tmp/auditstorm-oracle-w-');
  const dirPath = join(work, 'd');
  mkdirSync(dirPath);
  const text = [
    `-w ${dirPath}/ -p wa -k oracle-watch-dir`,
    `-w ${work}/missing-file -k a -k b`,
    `-w ${work}/f -p r`,
    `-a always,exit -F path=${work}/g -F perm=x -F key=as-a-watch`,
  ].join('\n');
  const rules = compileRuleText(text, 'watch.rules').rules;
  const ctl = await AuditControl.open();
  const beforeHex = new Set((await ctl.listRules()).map((b) => b.toString('hex')));
  const ours = async () => (await ctl.listRules()).filter((b) => !beforeHex.has(b.toString('hex')));
  t.teardown(async () => {
    for (const b of await ours()) await ctl.deleteRule(b).catch(() => undefined);
    ctl.close();
    rmSync(work, { recursive: true, force: true });
  });
  for (const r of rules) await ctl.addRule(r.data);
  const a = await ours();
  const decoded = a.map(decodeRule);
  const shown = listing().filter((l) => l.includes(work));
  for (const b of a) await ctl.deleteRule(b);
  const file = join(work, 'w.rules');
  writeFileSync(file, `${text}\n`);
  chmodSync(file, 0o600);
  execFileSync('auditctl', ['-R', file], { stdio: 'ignore' });
  const b = await ours();
  for (const x of b) await ctl.deleteRule(x);
  t.same(decoded, shown, 'decoder = auditctl -l');
  t.same(decoded, [
    `-w ${dirPath} -p wa -k oracle-watch-dir`,
    `-w ${work}/missing-file -p rwxa -k a -k b`,
    `-w ${work}/f -p r`,
    `-w ${work}/g -p x -k as-a-watch`,
  ]);
  t.same(b.map((x) => x.toString('hex')), a.map((x) => x.toString('hex')), 'byte-identical to auditctl\'s');
});
