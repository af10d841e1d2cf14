import t from 'tap';
import { compileLine, parseCNumber, type CompiledLine } from '../../../harness/rules/compile.ts';
import { RuleError, type RuleErrorCode } from '../../../harness/rules/errors.ts';
import { F, Op } from '../../../harness/rules/fields.ts';
import { parseRuleText } from '../../../harness/rules/parse.ts';
import { RULE_DATA_HEADER } from '../../../harness/rules/rule-data.ts';
import { ELF_I386, ELF_X86_64 } from '../../../harness/rules/syscall-table.ts';
import { caught } from './catch-error.ts';

const compile = (text: string, isDirectory = (_p: string) => false): CompiledLine => {
  const [line] = parseRuleText(text, 't.rules');
  return compileLine(line, { isDirectory });
};
const rule = (text: string, isDirectory?: (p: string) => boolean) => {
  const c = compile(text, isDirectory);
  if (c.kind !== 'rule') throw new Error(`not a rule: ${text}`);
  return c.rule;
};
const u32 = (b: Buffer, off: number) => b.readUInt32LE(off);
const MASK = 12;
const FIELDS = MASK + 256;
const VALUES = FIELDS + 256;
const FIELDFLAGS = VALUES + 256;
const BUFLEN = FIELDFLAGS + 256;

t.test('struct audit_rule_data bytes for a syscall rule', async (t) => {
  const r = rule('-a always,exit -F arch=b64 -S openat -F auid=4200000001 -F key=storm');
  const b = r.data;
  t.equal(RULE_DATA_HEADER, 1040);
  t.equal(b.length, 1040 + 5);
  t.equal(u32(b, 0), 4, 'flags: AUDIT_FILTER_EXIT');
  t.equal(u32(b, 4), 2, 'action: AUDIT_ALWAYS');
  t.equal(u32(b, 8), 3, 'field_count');
  // openat is 257 on x86_64: word 8, bit 1
  for (let w = 0; w < 64; w++) t.equal(u32(b, MASK + w * 4), w === 8 ? 2 : 0, `mask word ${w}`);
  t.same([0, 1, 2].map((i) => u32(b, FIELDS + i * 4)), [F.ARCH, F.LOGINUID, F.FILTERKEY]);
  t.same([0, 1, 2].map((i) => u32(b, VALUES + i * 4)), [ELF_X86_64, 4200000001, 5]);
  t.same([0, 1, 2].map((i) => u32(b, FIELDFLAGS + i * 4)), [Op.EQUAL, Op.EQUAL, Op.EQUAL]);
  t.equal(u32(b, BUFLEN), 5);
  t.equal(b.subarray(1040).toString(), 'storm');
  t.equal(r.op, 'add');
});

t.test('operators, number forms and value kinds', async (t) => {
  const r = rule('-a never,exit -F arch=b32 -S open,3,0x5 -F a0&0x10 -F a1&=3 -F uid!=-1 -F gid>=010 ' +
    '-F exit=-EACCES -F exit<-11 -F success>0 -F inode!=5 -F filetype=dir -F perm=wa -F sessionid=unset -F pid>1');
  t.equal(u32(r.data, 4), 0, 'never');
  t.equal(u32(r.data, MASK), (1 << 3) | (1 << 5), 'i386 open=5, read=3, 0x5 = 5');
  const got = r.rule.fields.map((f) => [f.field, f.op, f.value]);
  t.same(got, [
    [F.ARCH, Op.EQUAL, ELF_I386],
    [F.ARG0, Op.BIT_MASK, 0x10],
    [F.ARG1, Op.BIT_TEST, 3],
    [F.UID, Op.NOT_EQUAL, 0xffffffff],
    [F.GID, Op.GREATER_THAN_OR_EQUAL, 8],
    [F.EXIT, Op.EQUAL, (-13) >>> 0],
    [F.EXIT, Op.LESS_THAN, (-11) >>> 0],
    [F.SUCCESS, Op.GREATER_THAN, 0],
    [F.INODE, Op.NOT_EQUAL, 5],
    [F.FILETYPE, Op.EQUAL, 0o40000],
    [F.PERM, Op.EQUAL, 2 | 8],
    [F.SESSIONID, Op.EQUAL, 0xffffffff],
    [F.PID, Op.GREATER_THAN, 1],
  ]);
});

t.test('-S all, no -S, task list, user and exclude lists', async (t) => {
  const all = rule('-a always,exit -S all -F auid=1');
  for (let w = 0; w < 64; w++) t.equal(u32(all.data, MASK + w * 4), 0xffffffff);
  const none = rule('-a always,exit -F auid=1 -F success=0');
  t.equal(u32(none.data, MASK + 63 * 4), 0xffffffff, 'auditctl fills the mask when no -S');
  const user = rule('-a always,user -F auid=1 -F msgtype=USER_LOGIN');
  t.equal(u32(user.data, 0), 0);
  t.equal(u32(user.data, MASK), 0xffffffff, 'user list gets the all-ones mask too');
  t.equal(user.rule.fields[1].value, 1112);
  const task = rule('-a always,task -F auid=1');
  t.equal(u32(task.data, 0), 1);
  t.equal(u32(task.data, MASK), 0, 'task list keeps an empty mask');
  const excl = rule('-a never,exclude -F msgtype=UNKNOWN[1399] -F auid=1');
  t.equal(u32(excl.data, 0), 5);
  t.equal(excl.rule.fields[0].value, 1399);
  const prepend = rule('-A exit,always -S openat -F auid=1');
  t.equal(u32(prepend.data, 0), 0x14, 'AUDIT_FILTER_PREPEND | exit');
  const del = rule('-d always,exit -S openat -F auid=1');
  t.equal(del.op, 'delete');
});

t.test('keys: every -k and -F key= joined by \\x01 into one field at the end', async (t) => {
  const r = rule('-a always,exit -S openat -k a -F key=b -F auid=7 -k c');
  const last = r.rule.fields[r.rule.fields.length - 1];
  t.equal(last.field, F.FILTERKEY);
  t.equal(last.str, 'a\x01b\x01c');
  t.same(r.rule.fields.map((f) => f.field), [F.LOGINUID, F.FILTERKEY]);
});

t.test('-w as auditctl builds it: dir or file by stat, rwxa default, -p updates, trailing / trimmed', async (t) => {
  const dir = rule('-w /srv/x/ -k w -p wa', (p) => p === '/srv/x');
  t.same(dir.rule.fields.map((f) => [f.field, f.value, f.str]), [
    [F.DIR, 6, '/srv/x'], [F.PERM, 2 | 8, undefined], [F.FILTERKEY, 1, 'w'],
  ]);
  t.equal(u32(dir.data, MASK + 40), 0xffffffff);
  t.equal(u32(dir.data, 0), 4);
  const file = rule('-w /etc/passwd');
  t.same(file.rule.fields.map((f) => [f.field, f.value]), [[F.WATCH, 11], [F.PERM, 15]]);
  const unwatch = rule('-W /etc/passwd -p r');
  t.equal(unwatch.op, 'delete');
});

t.test('control lines are settings, -D is a marker', async (t) => {
  t.same(compile('-b 8192'), { kind: 'setting', settings: { backlogLimit: 8192 }, pos: { file: 't.rules', line: 1, col: 1 }, text: '-b 8192' });
  const s = (x: string) => { const c = compile(x); return c.kind === 'setting' ? c.settings : undefined; };
  t.same(s('-e 1'), { enabled: 1 });
  t.same(s('-e 0'), { enabled: 0 });
  t.same(s('-f 0'), { failure: 0 });
  t.same(s('-r 0x10'), { rateLimit: 16 });
  t.same(s('--backlog_wait_time 500'), { backlogWaitTimeJiffies: 500 });
  t.equal(compile('-D').kind, 'deleteAll');
});

t.test('parseCNumber reads numbers like strtol(.., 0)', async (t) => {
  t.equal(parseCNumber('0x1F'), 31n);
  t.equal(parseCNumber('010'), 8n);
  t.equal(parseCNumber('-5'), -5n);
  t.equal(parseCNumber('0'), 0n);
  t.equal(parseCNumber('12abc'), undefined);
  t.equal(parseCNumber('09'), undefined);
  t.equal(parseCNumber(''), undefined);
});

// Every error class: [rule text, code, option, column, message fragment]
const BAD: Array<[string, RuleErrorCode, string, number, string]> = [
  ['-a always,exit -S openat -F auid=1 -C uid!=obj_uid', 'UNSUPPORTED', '-C', 36, 'load it with auditctl'],
  ['-a always,exit -S openat -F subj_user=x -F auid=1', 'UNSUPPORTED', '-F', 29, 'load it with auditctl'],
  ['--loginuid-immutable', 'UNSUPPORTED', '--loginuid-immutable', 1, 'never makes loginuids immutable'],
  ['-i', 'UNSUPPORTED', '-i', 1, 'remove -i'],
  ['-a always,exot -S openat', 'BAD_LIST', '-a', 4, 'no list or action'],
  ['-a always -S openat', 'BAD_LIST', '-a', 4, 'LIST,ACTION'],
  ['-a possible,exit -S openat', 'BAD_LIST', '-a', 4, 'deprecated'],
  ['-a always,exit -d always,exit -S openat', 'BAD_LIST', '-d', 16, 'second -d'],
  ['-a always,exit -S openat -F auid', 'BAD_OPERATOR', '-F', 29, 'has no operator'],
  ['-a always,exit -S openat -F perm!=r', 'BAD_OPERATOR', '-F', 29, 'perm does not take !='],
  ['-a always,exit -S openat -F inode<5', 'BAD_OPERATOR', '-F', 29, 'inode does not take <'],
  ['-a always,exit -F arch>b64 -S openat', 'BAD_OPERATOR', '-F', 19, 'arch does not take >'],
  ['-a always,exit -S openat -F path!=/etc', 'BAD_OPERATOR', '-F', 29, 'path does not take !='],
  ['-a always,exit -S openat -F colour=red', 'UNKNOWN_FIELD', '-F', 29, 'unknown field "colour"'],
  ['-a always,exit -S openat -F =1', 'UNKNOWN_FIELD', '-F', 29, 'no field name'],
  ['-a always,exit -S openat -F uid=no-such-user-x', 'BAD_VALUE', '-F', 33, 'unknown user'],
  ['-a always,exit -S openat -F gid=no-such-group-x', 'BAD_VALUE', '-F', 33, 'unknown group'],
  ['-a always,exit -S openat -F exit=-ENOPE', 'BAD_VALUE', '-F', 34, 'unknown errno name'],
  ['-a always,user -F msgtype=NOT_A_TYPE', 'BAD_VALUE', '-F', 27, 'unknown record type'],
  ['-a always,exit -S openat -F filetype=blob', 'BAD_VALUE', '-F', 38, 'unknown file type'],
  ['-a always,exit -S openat -F perm=rwz', 'BAD_VALUE', '-F', 34, 'letter "z"'],
  ['-a always,exit -S openat -F pid=abc', 'BAD_VALUE', '-F', 33, 'needs a non-negative number'],
  ['-a always,exit -S openat -F pid=-1', 'BAD_VALUE', '-F', 33, 'non-negative'],
  ['-a always,exit -F arch=sparc -S openat', 'BAD_VALUE', '-F', 24, 'not one this machine runs'],
  ['-a always,exit -F arch=0x1234 -S openat', 'BAD_VALUE', '-F', 24, 'not one this machine runs'],
  ['-a always,exit -S openat -F path=etc/passwd', 'BAD_VALUE', '-F', 34, 'absolute path'],
  ['-a always,exit -S openat -F path=/etc/', 'BAD_VALUE', '-F', 34, 'must not end with /'],
  ['-a always,exit -S openat -F path=/a -F dir=/b', 'BAD_VALUE', '-F', 44, 'one of path, dir, inode'],
  ['-a always,exit -S openat -F sessionid=x', 'BAD_VALUE', '-F', 39, 'needs a number'],
  ['-w relative/path', 'BAD_VALUE', '-w', 4, 'must start with /'],
  ['-e 3', 'BAD_VALUE', '-e', 4, 'enabled must be 0 or 1'],
  ['-b lots', 'BAD_VALUE', '-b', 4, 'must be a number'],
  ['-a always,exit -S openat -F auid=4294967296', 'OUT_OF_RANGE', '-F', 34, 'does not fit'],
  ['-a always,exit -S openat -F a0=-2147483649', 'OUT_OF_RANGE', '-F', 32, 'does not fit'],
  ['-a always,exit -S 2048', 'OUT_OF_RANGE', '-S', 19, 'above 2047'],
  ['-a always,exit -S openat -F auid=1 -k ' + 'k'.repeat(257), 'OUT_OF_RANGE', '-k', 39, 'the kernel takes 256'],
  ['-a always,exit -S openat -F key=' + 'k'.repeat(200) + ' -k ' + 'j'.repeat(60), 'OUT_OF_RANGE', '-k', 237, 'add up to 261'],
  ['-b 4294967296', 'OUT_OF_RANGE', '-b', 4, 'does not fit'],
  ['-a always,exit -S frobnicate', 'UNKNOWN_SYSCALL', '-S', 19, 'not in the x86_64 table'],
  ['-a always,exit -S openat,frobnicate', 'UNKNOWN_SYSCALL', '-S', 26, '"frobnicate"'],
  ['-a always,exit -F arch=b32 -S newfstatat', 'UNKNOWN_SYSCALL', '-S', 31, 'not in the i386 table'],
  ['-a always,exit -S 12x', 'UNKNOWN_SYSCALL', '-S', 19, 'no syscall name or number'],
  ['-a always,exit -S openat -F arch=b64', 'MISPLACED', '-F', 29, 'arch must come before -S'],
  ['-F auid=1 -a always,exit', 'MISPLACED', '-F', 1, 'list must be given before field'],
  ['-a always,exit -F auid=1 -k nokey', 'MISPLACED', '-k', 26, 'needs a watch or syscall'],
  ['-a always,user -F auid=1 -F key=nokey', 'MISPLACED', '-k', 33, 'needs a watch, syscall'],
  ['-a always,exit -S openat -w /etc/passwd', 'MISPLACED', '-w', 26, "can't be given"],
  ['-p wa', 'MISPLACED', '-p', 1, 'needs a watch'],
  ['-a always,user -S openat', 'WRONG_LIST', '-S', 16, 'user list'],
  ['-a always,exclude -S openat', 'WRONG_LIST', '-S', 19, 'exclude list'],
  ['-S openat -a always,task', 'WRONG_LIST', '-a', 14, 'task list'],
  ['-a always,exit -S openat -F msgtype=EOE', 'WRONG_LIST', '-F', 29, 'exclude or user list'],
  ['-a always,task -F exit=1', 'WRONG_LIST', '-F', 19, 'exit list'],
  ['-a always,exclude -F euid=0', 'WRONG_LIST', '-F', 22, 'exclude list'],
  ['-a always,filesystem -F auid=1', 'WRONG_LIST', '-F', 25, 'filesystem list'],
  ['-a always,task -F sessionid=1', 'WRONG_LIST', '-F', 19, 'exclude or user or exit'],
  ['-a always,exit -S openat' + ' -F pid=1'.repeat(64), 'TOO_MANY_FIELDS', '-F', 25 + 63 * 9 + 1, 'more than 63 fields'],
  ['-e 2', 'REFUSED', '-e', 4, 'locks the audit configuration'],
  ['-f 2', 'REFUSED', '-f', 4, 'panics the kernel'],
  ['-b 10 -a always,exit', 'SYNTAX', '-a', 7, 'must be alone'],
  ['-k orphan', 'MISPLACED', '-k', 1, 'needs a watch or syscall'],
  ['-D -a always,exit', 'UNSUPPORTED', '-a', 4, '-D alone'],
];

t.test('every error class: typed RuleError with file:line:col, option, and a hint', async (t) => {
  for (const [text, code, option, col, fragment] of BAD) {
    const err = caught(() => compile(text));
    t.type(err, RuleError, text);
    if (!(err instanceof RuleError)) continue;
    t.equal(err.code, code, `${text}: ${err.message}`);
    t.equal(err.option, option, `${text}: option`);
    t.equal(err.col, col, `${text}: column (${err.message})`);
    t.equal(err.line, 1);
    t.equal(err.file, 't.rules');
    t.match(err.message, fragment, text);
    t.ok(err.message.startsWith(`t.rules:1:${col}:`), `${text}: message starts with the position`);
  }
});
