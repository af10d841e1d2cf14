import t from 'tap';
import { RuleError } from '../../../harness/rules/errors.ts';
import { tokenizeLine } from '../../../harness/rules/lexer.ts';
import { parseRuleText } from '../../../harness/rules/parse.ts';
import { caught } from './catch-error.ts';

t.test('words keep their 1-based columns; \\<space> and \\\\ escapes as auditctl -R reads them', async (t) => {
  const toks = tokenizeLine('  -w /a\\ b/c\\\\d  -k  x', 'f', 3);
  t.same(toks.map((x) => [x.text, x.pos.col]), [['-w', 3], ['/a b/c\\d', 6], ['-k', 18], ['x', 22]]);
  t.equal(toks[0].pos.line, 3);
  t.equal(toks[0].pos.file, 'f');
});

t.test('comments and blank lines are skipped; line numbers stay those of the file', async (t) => {
  const lines = parseRuleText('# a comment\n\n   \n   # indented comment\n-a always,exit -S openat -F auid=1\n-D\n', 'r.rules');
  t.equal(lines.length, 2);
  t.same(lines[0].pos, { file: 'r.rules', line: 5, col: 1 });
  t.same(lines[0].options.map((o) => [o.flag, o.value, o.pos.col, o.valuePos?.col]), [
    ['-a', 'always,exit', 1, 4], ['-S', 'openat', 16, 19], ['-F', 'auid=1', 26, 29],
  ]);
  t.same(lines[1].options.map((o) => o.flag), ['-D']);
});

t.test('attached values and long options', async (t) => {
  const [l] = parseRuleText('-aalways,exit -Fauid=5 --backlog_wait_time=100');
  t.same(l.options.map((o) => [o.flag, o.value, o.valuePos?.col]), [
    ['-a', 'always,exit', 3], ['-F', 'auid=5', 17], ['--backlog_wait_time', '100', 44],
  ]);
  const [m] = parseRuleText('--backlog_wait_time 60000');
  t.same(m.options.map((o) => [o.flag, o.value]), [['--backlog_wait_time', '60000']]);
});

t.test('syntax errors name file:line:col and the option', async (t) => {
  const cases: Array<[string, string, number, string]> = [
    ['-a always,exit -S', '-S', 16, 'needs a value'],
    ['-a always,exit stray', '', 16, 'not an option'],
    ['-a always,exit -Z 1', '-Z', 16, 'no such auditctl option'],
    ['--frobnicate', '--frobnicate', 1, 'no such auditctl option'],
    ['-a always,exit\t-S openat', '', 15, 'control character 0x09'],
    ['-Dx', '-D', 1, 'takes no value'],
    ['--loginuid-immutable=1', '--loginuid-immutable', 1, 'takes no value'],
  ];
  for (const [text, option, col, msg] of cases) {
    {
      const e = caught(() => parseRuleText(`# first\n${text}`, 'x.rules')) as RuleError;
      t.type(e, RuleError, text);
      t.equal(e.code, 'SYNTAX', text);
      t.equal(e.option, option, text);
      t.equal(e.line, 2, text);
      t.equal(e.col, col, text);
      t.match(e.message, new RegExp(`^x\\.rules:2:${col}:`), text);
      t.match(e.message, msg, text);
    }
  }
});
