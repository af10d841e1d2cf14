// One test per kind of bad input (pure: no kernel): each gets its typed error with where, what
// and how to fix, quickly, with long values shortened. The bundle kinds are in
// test/harness/reproduce/hostile-bundle.test.ts, the validate kinds in
// test/harness/scenario/preflight.test.ts.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRuleText, readRuleFile } from '../../../harness/rules/rule-file.ts';
import { RuleError } from '../../../harness/rules/errors.ts';
import { validateScenario, ScenarioError } from '../../../harness/scenario/load-scenario.ts';
import { parseDuration, parseSize, UnitError } from '../../../harness/scenario/units.ts';
import { ConfigError, loadConfig, parseConfig } from '../../../auditd/config.ts';
import { PluginConfigError, readPluginDir } from '../../../auditd/plugin-config.ts';
import { ConfigRenderError, renderConfig } from '../../../harness/daemons/config-file.ts';
import { parseAuditLogs } from '../../../harness/reproduce/parse-log.ts';
import { parseAuditdConf, parseMeminfo, parseStatus } from '../../../harness/reproduce/parse-small.ts';
import type { BundleFile } from '../../../harness/reproduce/bundle-files.ts';

const tmp = (t: { teardown: (f: () => void) => void }, prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
function caught<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof cls) return err;
    throw err;
  }
  throw new Error(`expected a ${cls.name}`);
}
const timed = (fn: () => unknown): number => {
  const t0 = performance.now();
  try { fn(); } catch { /* the error is checked elsewhere */ }
  return performance.now() - t0;
};
const SCN = 'name: x\ndescription: d\nduration: 5s\nrules: openat-storm.rules\ndaemon: {}\nloads:\n  - generator: open-close\n    count: 100\n';
const bad = (text: string) => caught(() => validateScenario(text, { path: 's.yaml' }), ScenarioError).message;

// ---- scenario YAML ----------------------------------------------------------------------------

t.test('YAML: an alias without an anchor', async (t) => {
  t.match(bad(`${SCN}extra: *nope\n`), /s\.yaml:9:8: an alias \(\*name\) without an anchor \(&name\) before it.*\(got \*nope\)/);
});

t.test('YAML: nested aliases (billion laughs) stop at the alias limit, fast', async (t) => {
  let laughs = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) laughs += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]\n`;
  t.match(bad(SCN + laughs), /aliases expand more than 100 times \(nested aliases: a "billion laughs"\)/);
  t.ok(timed(() => validateScenario(SCN + laughs)) < 1000);
});

t.test('YAML: tens of thousands of unknown keys are refused in well under a second', async (t) => {
  let many = SCN;
  for (let i = 0; i < 30_000; i++) many += `k${i}: 1\n`;
  t.match(bad(many), /30008 ":" and "," in the text: more than the 20000 keys and items a scenario may hold/);
  t.ok(timed(() => validateScenario(many)) < 1000);
  let some = SCN;
  for (let i = 0; i < 300; i++) some += `k${i}: 1\n`;
  t.match(bad(some), /a mapping has at most 256 keys \(is this a scenario file\?\) \(got a mapping of 306 keys\)/);
  const list = `${SCN}extra: [${'1,'.repeat(300_000)}1]\n`;
  t.match(bad(list), /300009 ":" and ","/);
  t.ok(timed(() => validateScenario(list)) < 1000, 'a long flow list too');
  t.match(bad(SCN.replace('name: x', `name: ${'x'.repeat(100_000)}`)), /name: a scenario name of at most 64 characters .*\(got "xxxx.*\.\.\. \(100000 characters\)\)/);
  const hugeKey = bad(`${SCN}? ${'k'.repeat(900_000)}\n: 1\n`);
  t.ok(hugeKey.length < 1000, `an explicit 900,000-character key is shortened (${hugeKey.length} characters)`);
  t.match(hugeKey, /s\.yaml:9:3: k+\.\.\. \(900000 characters\): unknown key in a scenario/);
  let fewer = SCN;
  for (let i = 0; i < 100; i++) fewer += `k${i}: 1\n`;
  const msg = bad(fewer);
  t.match(msg, /100 problems/);
  t.match(msg, /\.\.\. and 50 more$/, 'the list is cut at 50');
});

t.test('YAML: a newline in daemon.config would inject a line: refused', async (t) => {
  t.match(bad(SCN.replace('daemon: {}', 'daemon:\n  config:\n    flush: "sync\\nlog_file = /etc/passwd"')),
    /s\.yaml:7:12: daemon\.config\.flush: one line of text: no newline, tab or other control character \(it would inject a line into the generated auditd\.conf\)/);
});

t.test('durations: .inf and .nan are named as YAML reads them', async (t) => {
  t.match(bad(SCN.replace('duration: 5s', 'duration: .inf')), /duration: Infinity \(YAML's \.inf\) is not a duration.*\(got \.inf\)/);
  t.match(bad(SCN.replace('duration: 5s', 'duration: .nan')), /NaN \(YAML's \.nan\) is not a duration/);
  t.notMatch(bad(SCN.replace('duration: 5s', 'duration: .inf')), /Infinitys/);
  t.match(caught(() => parseDuration(`${'9'.repeat(400)}s`), UnitError).message, /\.\.\. \(401 characters\) is too long: durations end at/);
  t.match(caught(() => parseSize(`${'9'.repeat(400)}MiB`), UnitError).message, /is too large: sizes end at/);
  t.match(caught(() => parseSize(Number.NEGATIVE_INFINITY), UnitError).message, /YAML's -\.inf/);
});

t.test('scenario files: not UTF-8 is an error at its line and column', async (t) => {
  const dir = tmp(t, 'scn-bytes-');
  const file = join(dir, 's.yaml');
  writeFileSync(file, Buffer.concat([Buffer.from(`${SCN}# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
  const { loadScenario } = await import('../../../harness/scenario/load-scenario.ts');
  t.match(caught(() => loadScenario(file), ScenarioError).message, /s\.yaml:9:6: byte 0xe9 at line 9, column 6 is not UTF-8/);
});

// ---- rule files -------------------------------------------------------------------------------

const rule = (text: string) => caught(() => compileRuleText(text, 'r.rules'), RuleError);

t.test('rules: <> and == are named as bad operators', async (t) => {
  const ne = rule('-a always,exit -S openat -F auid<>5');
  t.equal(ne.code, 'BAD_OPERATOR');
  t.match(ne.message, /r\.rules:1:33: -F: "<>" is not an operator \(write !=; operators: = != < > <= >= & &=\)/);
  t.match(rule('-a always,exit -S openat -F auid==5').message, /"==" is not an operator \(write =/);
  t.match(rule('-a always,exit -S openat -F uid=>5').message, /"=>" is not an operator \(write >=/);
});

t.test('rules: a negative gid is out of range, not a group name', async (t) => {
  const e = rule('-a always,exit -S openat -F auid=5 -F gid=-5');
  t.equal(e.code, 'OUT_OF_RANGE');
  t.match(e.message, /gid -5 is negative \(group ids run from 0 to 4294967294/);
  t.notMatch(e.message, /unknown group/);
});

t.test('rules: a 1 MiB token is refused and not echoed whole', async (t) => {
  const e = rule(`-a always,exit -S openat -F auid=5 -F ${'x'.repeat(1 << 20)}=1`);
  t.equal(e.code, 'SYNTAX');
  t.ok(e.message.length < 400, `message is ${e.message.length} characters`);
  t.match(e.message, /a word longer than 8192 characters/);
  const key = rule(`-a always,exit -S openat -F auid=5 -k ${'k'.repeat(5000)}`);
  t.ok(key.message.length < 400);
  t.match(key.message, /keys of this rule add up to 5000 bytes/);
});

t.test('rules: Latin-1 and overlong UTF-8 in a path or key are refused at their byte, never U+FFFD', async (t) => {
  const dir = tmp(t, 'rules-bytes-');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['latin1-path.rules', Buffer.from([0xe9]), /latin1-path\.rules:1:52: byte 0xe9 at line 1, column 52 is not UTF-8/],
    ['overlong-key.rules', Buffer.from([0xc0, 0xaf]), /overlong-key\.rules:1:52: byte 0xc0/],
    ['overlong3.rules', Buffer.from([0xe0, 0x80, 0xaf]), /byte 0xe0/],
    ['surrogate.rules', Buffer.from([0xed, 0xa0, 0x80]), /byte 0xed/],
  ];
  for (const [name, bytes, re] of cases) {
    writeFileSync(join(dir, name), Buffer.concat([Buffer.from('-a always,exit -S openat -F auid=5 -F path=/tmp/caf'), bytes, Buffer.from(' -k k\n')]));
    const e = caught(() => readRuleFile(join(dir, name)), RuleError);
    t.equal(e.code, 'IO');
    t.match(e.message, re);
    t.match(e.message, /load such a rule with auditctl/);
  }
  writeFileSync(join(dir, 'fine.rules'), '-a always,exit -S openat -F auid=5 -F path=/tmp/café -k clé\n');
  t.equal(readRuleFile(join(dir, 'fine.rules')).rules[0].rule.fields.find((f) => f.str?.startsWith('/tmp'))?.str, '/tmp/café', 'UTF-8 is kept');
});

t.test('rules: /dev/zero, a directory, a FIFO are refused before a byte is read', async (t) => {
  t.match(caught(() => readRuleFile('/dev/zero'), RuleError).message, /^\/dev\/zero: the rule file is a character device, not a rule file \(give a regular file\)/);
  const dir = tmp(t, 'rules-dir-');
  const e = caught(() => readRuleFile(dir), RuleError);
  t.match(e.message, /the rule file is a directory, not a rule file \(give the rule file itself, not its directory\)/);
  t.notMatch(e.message, /permissions/);
  execFileSync('mkfifo', [join(dir, 'fifo.rules')]);
  t.match(caught(() => readRuleFile(join(dir, 'fifo.rules')), RuleError).message, /the rule file is a FIFO, not a rule file/, 'no wait for a writer');
});

// ---- tsauditd auditd.conf, plugins.d, rendering -----------------------------------------------------

const conf = (text: string) => caught(() => parseConfig(text, 'auditd.conf', '/nonexistent'), ConfigError).message;

t.test('tsauditd config: queue_hwm 0, lwm above hwm, unknown keys', async (t) => {
  t.match(conf('queue_hwm = 0\n'), /auditd\.conf:1: queue_hwm: 0 is out of range 1\.\.100000000/);
  t.match(conf('queue_hwm = 10\nqueue_lwm = 20\n'), /auditd\.conf:2: queue_lwm \(20\) must be below queue_hwm \(10\)/);
  t.match(conf('colour = blue\n'), /auditd\.conf:1: unknown keyword "colour"; tsauditd knows/);
});

t.test('tsauditd config: log_file a directory, /, or with a NUL', async (t) => {
  t.match(conf(`log_file = ${tmpdir()}\n`), /log_file ".*" is a directory; give a file in it/);
  t.match(conf('log_file = /\n'), /log_file "\/" names a directory/);
  t.match(conf('log_file = /tmp/a\u0000b\n'), /log_file "\/tmp\/a\\u0000b" holds a control character/);
});

t.test('tsauditd config: space_left below admin_space_left, recv_buffer_bytes past 1G', async (t) => {
  t.match(conf('space_left = 10\nadmin_space_left = 50\n'), /space_left \(10 MiB\) must be larger than admin_space_left \(50 MiB\)/);
  t.match(conf('space_left = 10%\nadmin_space_left = 20%\n'), /space_left \(10%\) must be larger than admin_space_left \(20%\)/);
  t.match(conf('recv_buffer_bytes = 2147483648\n'), /recv_buffer_bytes: 2147483648 is more than the kernel accepts for a socket receive buffer \(1G/);
  t.match(conf('recv_buffer_bytes = 99999999999999999999999\n'), /recv_buffer_bytes: "99999999999999999999999" is not a size/);
  t.equal(parseConfig('recv_buffer_bytes = 1G\n', 'c', '/nonexistent').recvBufferBytes, 2 ** 30);
  t.match(conf('recv_buffer_bytes = 1073741825\n'), /more than the kernel accepts/);
});

t.test('tsauditd config: a 1 MiB value is shortened; the file read is bounded and UTF-8', async (t) => {
  const m = conf(`flush = ${'x'.repeat(1 << 20)}\n`);
  t.ok(m.length < 400);
  t.match(m, /\.\.\. \(1048576 characters\) is not one of none/);
  const dir = tmp(t, 'conf-bytes-');
  writeFileSync(join(dir, 'auditd.conf'), Buffer.from([0x66, 0x6c, 0x75, 0x73, 0x68, 0x20, 0x3d, 0x20, 0xff, 0x0a]));
  t.match(caught(() => loadConfig(dir), ConfigError).message, /auditd\.conf:1: the config byte 0xff at line 1, column 9 is not UTF-8/);
});

t.test('plugins.d: a file, a symlink loop, a broken symlink', async (t) => {
  const dir = tmp(t, 'plugins-');
  writeFileSync(join(dir, 'plugins.d'), 'not a directory\n');
  await t.rejects(readPluginDir(join(dir, 'plugins.d')), { name: 'PluginConfigError', message: /plugin_dir is a file, not a directory/ });
  symlinkSync(join(dir, 'loop2'), join(dir, 'loop1'));
  symlinkSync(join(dir, 'loop1'), join(dir, 'loop2'));
  await t.rejects(readPluginDir(join(dir, 'loop1')), { name: 'PluginConfigError', message: /plugin_dir is a symlink loop/ });
  const pd = join(dir, 'pd');
  mkdirSync(pd);
  symlinkSync(join(dir, 'missing.conf'), join(pd, 'broken.conf'));
  symlinkSync(join(pd, 'self.conf'), join(pd, 'self.conf'));
  writeFileSync(join(pd, 'ok.conf'), 'active = no\n');
  chmodSync(join(pd, 'ok.conf'), 0o644);
  const err = await readPluginDir(pd).then(() => null, (e: unknown) => e);
  t.ok(err instanceof PluginConfigError);
  t.match((err as PluginConfigError).problems, [/broken\.conf:1:1: a symlink to a file that does not exist/, /self\.conf:1:1: a symlink loop/]);
});

t.test('rendering auditd.conf refuses a line break instead of writing it', async (t) => {
  t.match(caught(() => renderConfig({ flush: 'sync\nlog_file = /etc/passwd' }, 'h'), ConfigRenderError).message,
    /auditd\.conf flush: the value holds control character 0x0a at character 5/);
  t.match(caught(() => renderConfig({ 'log_file\nx': 'a' }, 'h'), ConfigRenderError).message, /is not a lower-case word/);
  t.match(caught(() => renderConfig({ freq: Number.NaN }, 'h'), ConfigRenderError).message, /not a finite number/);
  t.equal(renderConfig({ flush: 'sync', freq: 0, write_logs: true }, 'h'), '# h\nflush = sync\nfreq = 0\nwrite_logs = yes\n');
});

// ---- bundle lines -----------------------------------------------------------------------------

const bf = (name: string, lines: string[]): BundleFile => ({ name, kind: 'notes', lines, rotation: 0 });

t.test('a record with a very long run of 0x1D is parsed in linear time', async (t) => {
  const line = `type=SYSCALL msg=audit(1700000000.000:1): arch=c000003e syscall=257 ${'\x1d'.repeat(200_000)}SYSCALL=openat`;
  let p: ReturnType<typeof parseAuditLogs> = null;
  const ms = timed(() => { p = parseAuditLogs([bf('audit.log', [line])], [], []); });
  t.ok(ms < 500, `${ms.toFixed(0)} ms`);
  t.same(p!.syscalls, { openat: 1 });
});

t.test('bundle figures of 0 or 1e20 are reported, not used', async (t) => {
  const ignored: Array<{ where: string; why: string }> = [];
  const st = parseStatus(bf('auditctl-s.txt', ['backlog_limit 0', 'rate_limit 100000000000000000000', 'lost 5']), ignored);
  t.equal(st.backlogLimit, undefined);
  t.equal(st.rateLimit, undefined);
  t.equal(st.lost?.value, 5);
  const mem = parseMeminfo(bf('meminfo', ['MemTotal:       0 kB', 'MemAvailable:   100000000000000000000 kB']), ignored);
  t.equal(mem.memTotalBytes, undefined);
  t.equal(mem.memAvailableBytes, undefined);
  const conf = parseAuditdConf(bf('auditd.conf', ['freq = 0', 'q_depth = 100000000000000000000', 'flush = sync']), ignored);
  t.notOk(conf.has('freq'));
  t.notOk(conf.has('q_depth'));
  t.equal(conf.get('flush')?.value, 'sync');
  t.match(ignored.map((i) => `${i.where} ${i.why}`), [
    /auditctl-s\.txt:1 backlog_limit 0 is outside what a host has \(from 1 to 2\^32-1 \(0 means no limit/,
    /auditctl-s\.txt:2 rate_limit 1000000000000000\.\.\. \(21 digits\) is outside/,
    /meminfo:1 MemTotal 0 kB is outside what a host has \(from 16 MiB to 64 TiB\)/,
    /meminfo:2 MemAvailable/,
    /auditd\.conf:1 freq 0 is outside/,
    /auditd\.conf:2 q_depth/,
  ]);
});
