import { randomBytes } from 'node:crypto';
import t from 'tap';
import { compileLine } from '../../../harness/rules/compile.ts';
import { decodeRule, listingText, ruleDataToText } from '../../../harness/rules/decode.ts';
import { RuleDataError } from '../../../harness/rules/errors.ts';
import { F, Op } from '../../../harness/rules/fields.ts';
import { parseRuleText } from '../../../harness/rules/parse.ts';
import { decodeRuleData, encodeRuleData, RULE_DATA_HEADER, type RuleData } from '../../../harness/rules/rule-data.ts';
import { caught } from './catch-error.ts';

const compiled = (text: string, isDirectory = (p: string) => p === '/srv') => {
  const c = compileLine(parseRuleText(text)[0], { isDirectory });
  if (c.kind !== 'rule') throw new Error('not a rule');
  return c.rule.data;
};

// Expected texts are what auditctl 3.0.9 -l printed for these rules on this VM (the oracle test
// checks the same on the live kernel); kernels list the rule as sent, minus the prepend flag.
const CASES: Array<[string, string]> = [
  ['-a always,exit -F arch=b64 -S openat -F auid=4212345678 -F key=storm',
    '-a always,exit -F arch=b64 -S openat -F auid=-82621618 -F key=storm'],
  ['-a exit,always -F arch=b32 -S open,3,execve -F auid=5 -k a -k b',
    '-a always,exit -F arch=b32 -S read,open,execve -F auid=5 -F key=a -F key=b'],
  ['-a always,exit -F auid=5 -F exit=-EWOULDBLOCK -F exit=-200 -F success=0',
    '-a always,exit -S all -F auid=5 -F exit=-EAGAIN -F exit=-200 -F success=0'],
  ['-a never,exclude -F auid=5 -F msgtype>=1300 -F msgtype<=1399',
    '-a never,exclude -F auid=5 -F msgtype>=SYSCALL -F msgtype<=1399'],
  ['-a always,exit -F arch=b64 -S openat -F a0&0x10 -F a1&=3 -F a2=-1 -F inode!=4294967295 -F filetype=dir',
    '-a always,exit -F arch=b64 -S openat -F a0&0x10 -F a1&=0x3 -F a2=0xFFFFFFFF -F inode!=4294967295 -F filetype=16384'],
  ['-w /srv/ -p wa -k w1', '-w /srv -p wa -k w1'],
  ['-w /etc/passwd', '-w /etc/passwd -p rwxa'],
  ['-a always,exit -F path=/tmp -F perm=wa -k w3', '-w /tmp -p wa -k w3'],
  ['-a always,exit -F dir=/tmp -F perm=wa -F auid=1', '-a always,exit -S all -F dir=/tmp -F perm=wa -F auid=1'],
  ['-a always,exit -F arch=0xc000003e -S 0,1 -S 2047 -F sessionid=unset',
    '-a always,exit -F arch=b64 -S read,write,2047 -F sessionid=-1'],
  ['-a always,task -F auid=1 -F uid=0', '-a always,task -F auid=1 -F uid=0'],
  ['-a always,user -F auid=1 -F msgtype=USER_LOGIN', '-a always,user -F auid=1 -F msgtype=USER_LOGIN'],
  ['-a never,filesystem -F fstype=tracefs -F key=fs1', '-a never,filesystem -F fstype=tracefs -F key=fs1'],
  ['-a always,exit -F arch!=b32 -S open -F loginuid=5 -F exe=/bin/true',
    '-a always,exit -F arch!=b32 -S open -F auid=5 -F exe=/bin/true'],
];

t.test('decoder prints what auditctl -l prints', async (t) => {
  for (const [input, expected] of CASES) t.equal(decodeRule(compiled(input)), expected, input);
});

t.test('encode/decode round trip', async (t) => {
  for (const [input] of CASES) {
    const buf = compiled(input);
    t.ok(encodeRuleData(decodeRuleData(buf)).equals(buf), input);
  }
});

t.test('fields auditctl prints but we do not compile: strings, comparisons, unknown numbers', async (t) => {
  const r: RuleData = {
    flags: 4, action: 2, mask: new Uint32Array(64).fill(0xffffffff),
    fields: [
      { field: 13, op: Op.EQUAL, value: 0, str: 'system_u' },
      { field: F.FIELD_COMPARE, op: Op.NOT_EQUAL, value: 1 },
      { field: 150, op: Op.GREATER_THAN, value: 0xffffffff },
      { field: F.MSGTYPE, op: Op.EQUAL, value: 99999 },
    ],
  };
  r.fields[0].value = 8;
  t.equal(ruleDataToText(decodeRuleData(encodeRuleData(r))),
    '-a always,exit -S all -F subj_user=system_u -C uid!=obj_uid f150>-1 -F msgtype=99999');
  t.equal(ruleDataToText({ ...r, flags: 0x14, action: 7, fields: [] }), '-a (null),(null) -S all');
  t.equal(listingText([]), 'No rules');
});

t.test('truncated and garbage buffers give RuleDataError, never a crash', async (t) => {
  const good = compiled('-a always,exit -F arch=b64 -S openat -F auid=1 -F key=storm');
  for (const len of [0, 1, 12, 1039]) {
    const e = caught(() => decodeRule(good.subarray(0, len)));
    t.type(e, RuleDataError, `${len} bytes`);
    t.match(String(e), 'shorter than the 1040-byte header');
  }
  const shortBuf = caught(() => decodeRule(good.subarray(0, good.length - 1)));
  t.type(shortBuf, RuleDataError);
  t.match(String(shortBuf), 'buflen 5 runs past');

  const tooMany = Buffer.from(good);
  tooMany.writeUInt32LE(65, 8);
  t.match(String(caught(() => decodeRule(tooMany))), 'field_count 65 > 64');

  const longString = Buffer.from(good);
  longString.writeUInt32LE(6, RULE_DATA_HEADER - 4 - 256 * 2 + 2 * 4); // values[2] (key length) = 6
  t.match(String(caught(() => decodeRule(longString))), 'needs 6 string bytes');

  const badOp = Buffer.from(good);
  badOp.writeUInt32LE(0, RULE_DATA_HEADER - 4 - 256 + 4); // fieldflags[1] = no operator
  t.match(String(caught(() => decodeRule(badOp))), 'no operator');

  // random bytes: each decodes to text or fails with RuleDataError
  let texts = 0;
  let errors = 0;
  for (let i = 0; i < 2000; i++) {
    const b = randomBytes(RULE_DATA_HEADER + (i % 64));
    if (i % 2 === 0) b.writeUInt32LE(i % 70, 8); // plausible field counts too
    if (i % 4 === 0) b.writeUInt32LE(i % 64, RULE_DATA_HEADER - 4);
    try {
      t.type(decodeRule(b), 'string');
      texts++;
    } catch (err) {
      if (!(err instanceof RuleDataError)) throw err;
      errors++;
    }
  }
  t.equal(texts + errors, 2000);
  t.ok(errors > 0, `errors ${errors}, texts ${texts}`);
});
