// CI output: JUnit with one testcase per assertion (failures carry actual vs limit), escaped;
// the markdown summary is one paragraph with the verdict, the key figures and what failed.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';
import { toJUnit } from '../../../harness/report/junit.ts';
import { toMarkdown } from '../../../harness/report/markdown.ts';
import { makeSyntheticRun } from './synthetic-run.ts';

async function summaryOf(t: Test, verdict: 'pass' | 'fail'): Promise<RunSummary> {
  const dir = t.testdir();
  await makeSyntheticRun(dir, { samples: 10, verdict });
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

t.test('JUnit: one testcase per assertion; a failing one says actual vs limit', async (t) => {
  const fail = toJUnit(await summaryOf(t, 'fail'));
  t.match(fail, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
  t.equal(count(fail, /<testcase /g), 3);
  t.equal(count(fail, /<failure /g), 1);
  t.match(fail, /<testsuite name="synthetic with tsauditd:block" tests="3" failures="1" errors="0" skipped="0" time="1.000">/);
  t.match(fail, /<testcase classname="auditstorm.synthetic.tsauditd-block" name="peak RSS under its bound" time="0">\s*<failure message="actual 300.0 MiB, limit 64.0 MiB" type="assertion">peak vs bound &lt;&amp;&gt; &quot;quoted&quot;<\/failure>/);
  t.match(fail, /<property name="seed" value="42"\/>/);
  t.notMatch(fail, /<&>/, 'detail text escaped');
  const pass = toJUnit(await summaryOf(t, 'pass'));
  t.equal(count(pass, /<failure /g), 0);
  t.match(pass, /tests="3" failures="0"/);
  t.match(pass, /name="backlog wait of audited callers \(ms\)" time="0">\s*<system-out>actual 120 ms, limit 1,000 ms<\/system-out>/);
});

t.test('JUnit: no summary is one failing case; control characters do not break the XML', async (t) => {
  const x = toJUnit(null, '/some/dir');
  t.match(x, /tests="1" failures="1"/);
  t.match(x, /name="run reached its verdict"/);
  const s = await summaryOf(t, 'fail');
  s.assertions[0].detail = 'bell\u0007 and nul\u0000';
  const y = toJUnit(s);
  t.notMatch(y, /[\u0000\u0007]/);
  t.match(y, /bell\uFFFD and nul\uFFFD/);
});

t.test('markdown: one paragraph with verdict, figures, failures and where the report is', async (t) => {
  const fail = toMarkdown(await summaryOf(t, 'fail'), '/r/x');
  t.equal(fail.trim().split('\n').length, 1, 'one paragraph, one line');
  t.match(fail, /^❌ \*\*FAIL\*\* `synthetic` with `tsauditd:block` \(1 s, seed 42\)/);
  t.match(fail, /peak RSS 300.0 MiB \(bound 64.0 MiB\)/);
  t.match(fail, /18,000 events\/s logged/);
  t.match(fail, /20,000 generated \/ 18,000 logged \/ \*\*lost by name 1970 \(kernel 1170 by serial, daemon 600\+200\), silent loss 0\*\*/);
  t.match(fail, /kernel lost 30 records, backlog wait 400 ms \(longest op 640 ms, backlog_wait_time 1,000 ms\), OOM kills 1/);
  t.match(fail, /2\/3 assertions passed, failed: peak RSS under its bound \(300.0 MiB vs 64.0 MiB\)\./);
  t.match(fail, /Kernel 6.18.0-test, cgroup v1, tsauditd test-1.0\./);
  t.match(fail, /`\/r\/x\/report.html`/);
  const pass = toMarkdown(await summaryOf(t, 'pass'), '/r/y');
  t.match(pass, /^✅ \*\*PASS\*\*/);
  t.match(pass, /3\/3 assertions passed\./);
  t.match(toMarkdown(null, '/r/z'), /^\*\*NO VERDICT\*\* for `\/r\/z`/);
});
