// validate refuses what a run would refuse, before any kernel work (pure: no kernel).
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, PROJECT_ROOT, ScenarioError, validateScenario } from '../../../harness/scenario/load-scenario.ts';
import { preflight } from '../../../harness/scenario/preflight.ts';

const fx = (f: string) => join(PROJECT_ROOT, 'test/fixtures/scenarios', f);
const rulesFx = join(PROJECT_ROOT, 'test/fixtures/rules');

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err.message;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

const base = (over: Record<string, string> = {}) => {
  const parts: Record<string, string> = {
    name: 'name: pre', description: 'description: d', duration: 'duration: 10s', rules: 'rules: openat-storm.rules',
    daemon: 'daemon: {}', loads: 'loads:\n  - generator: open-close\n    rate: 100', faults: '', ...over,
  };
  return `${Object.values(parts).filter(Boolean).join('\n')}\n`;
};

t.test('a load the rules do not audit is refused, naming the load, its syscalls and the rule file', async (t) => {
  const msg = problems(() => loadScenario(fx('unaudited-load.yaml')));
  t.match(msg, /unaudited-load\.yaml:12:5: loads\[1\]: load "burst" \(file-write\) makes openat, rename, unlink, which no rule in execve-storm\.rules audits for the run's auid/);
  t.match(msg, /allow_unaudited: true/);
  t.notMatch(msg, /load "base"/, 'the audited fork-exec load is fine');
});

t.test('allow_unaudited: valid, with a warning, and the load is marked not counted', async (t) => {
  const s = loadScenario(fx('unaudited-load-allowed.yaml'));
  t.equal(s.loads[1].allowUnaudited, true);
  t.equal(s.loads[0].allowUnaudited, false);
  t.ok(s.source.warnings.some((w) => /loads\[1\] \(burst\): openat, rename, unlink not audited by execve-storm\.rules \(allow_unaudited\): its operations are not counted as generated/.test(w)));
  t.same(preflight(s).unaudited, [{ load: 'burst', index: 1, missing: ['openat', 'rename', 'unlink'], allowed: true }]);
});

t.test('the same load under rules that audit it validates', async (t) => {
  const s = loadScenario(fx('audited-load.yaml'));
  t.same(preflight(s).unaudited, []);
  t.same(preflight(s).problems, []);
});

t.test('a never rule evaluated first (-A) leaves the load unaudited', async (t) => {
  const msg = problems(() => validateScenario(base({ rules: `rules: ${join(rulesFx, 'never-first.rules')}` }), { path: join(tmpdir(), 'x.yaml') }));
  t.match(msg, /load "open-close-0" \(open-close\) makes openat, which no rule in .*never-first\.rules audits/);
});

t.test('every shipped scenario passes the run\'s checks', async (t) => {
  for (const name of ['cpu-starved', 'crash-restart', 'disk-full', 'frozen-log', 'mixed-load', 'runaway-queue', 'slow-plugin', 'slow-writer', 'soak-steady', 'steady-openat']) {
    t.doesNotThrow(() => loadScenario(join(PROJECT_ROOT, 'loads/scenarios', `${name}.yaml`)), name);
  }
});

t.test('rule files that do not compile, are random bytes, a device, a directory, or unscoped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const at = (rules: string) => validateScenario(base({ rules: `rules: ${rules}` }), { path: join(dir, 's.yaml') });
  t.match(problems(() => at(join(rulesFx, 'not-compiling.rules'))), /rules: .*not-compiling\.rules:1:41: -F: unknown field "colour".*\[UNKNOWN_FIELD\]/);
  t.match(problems(() => at(join(rulesFx, 'unscoped.rules'))), /unscoped\.rules:2:1: -a: rule has no -F auid=N or -F pid=N scope.*\[UNSCOPED\]/);
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(dir, 'random.rules'), bytes);
  t.match(problems(() => at('./random.rules')), /random\.rules(:\d+:\d+)?: .*(not UTF-8|control character|not an option)/);
  symlinkSync('/dev/zero', join(dir, 'zero.rules'));
  t.match(problems(() => at('./zero.rules')), /zero\.rules: the rule file is a character device, not a rule file \(give a regular file\)/);
  mkdirSync(join(dir, 'dir.rules'));
  t.match(problems(() => at('./dir.rules')), /dir\.rules: the rule file is a directory, not a rule file \(give the rule file itself/);
  writeFileSync(join(dir, 'delete.rules'), '-D\n-a always,exit -S openat -F auid=@AUID@\n');
  t.match(problems(() => at('./delete.rules')), /delete\.rules:1:1: -D would delete rules that are not the run's/);
});

t.test('tsauditd config values tsauditd refuses at start are refused by validate', async (t) => {
  const cfg = (c: string) => problems(() => validateScenario(base({ daemon: `daemon:\n  config:\n${c}` })));
  t.match(cfg('    queue_hwm: 0'), /daemon\.config\.queue_hwm: tsauditd refuses it at start: queue_hwm: 0 is out of range 1\.\.100000000/);
  t.match(cfg('    queue_hwm: 100\n    queue_lwm: 200'), /daemon\.config\.queue_lwm: tsauditd refuses it at start: queue_lwm \(200\) must be below queue_hwm \(100\)/);
  t.match(cfg('    colour: blue'), /daemon\.config\.colour: tsauditd refuses it at start: unknown keyword "colour"/);
  t.match(cfg('    log_file: /'), /daemon\.config\.log_file: .*names a directory/);
  t.match(cfg('    log_file: /tmp'), /daemon\.config\.log_file: .*"\/tmp" is a directory/);
  t.match(cfg('    space_left: 10\n    admin_space_left: 50'), /space_left \(10 MiB\) must be larger than admin_space_left \(50 MiB\)/);
  t.match(cfg('    recv_buffer_bytes: 4G'), /recv_buffer_bytes: 4G is more than the kernel accepts/);
  t.match(cfg('    flush: "sync\\nlog_file = /etc/passwd"'), /daemon\.config\.flush: one line of text: no newline/);
});

t.test('auditd: keys it does not know and space_left not above admin_space_left', async (t) => {
  const cfg = (c: string) => problems(() => validateScenario(base({ daemon: `daemon:\n  name: auditd\n  config:\n${c}` })));
  t.match(cfg('    queue_hwm: 100'), /daemon\.config\.queue_hwm: Debian's auditd 3\.0\.9 does not know this keyword/);
  t.match(cfg('    space_left: 8\n    admin_space_left: 8'), /daemon\.config\.space_left: space_left \(8 MiB\) must be larger than admin_space_left \(8 MiB\): auditd refuses to start/);
  t.match(cfg('    admin_space_left: 20'), /admin_space_left \(20 MiB\)/, 'against the adapter\'s own space_left 16');
  t.doesNotThrow(() => validateScenario(base({ daemon: 'daemon:\n  name: auditd\n  config:\n    space_left: 100\n    admin_space_left: 50' })));
});

t.test('load names unique, faults inside the run, plugin-stall needs plugins', async (t) => {
  t.match(problems(() => validateScenario(base({ loads: 'loads:\n  - name: a\n    generator: open-close\n  - name: a\n    generator: stat' }))),
    /loads\[1\]\.name: load name "a" is also loads\[0\]'s/);
  t.match(problems(() => validateScenario(base({ faults: 'faults:\n  - kind: stall-daemon\n    at: 8s\n    for: 5s' }))),
    /faults\[0\]: stall-daemon at 8s lasts until 13s, past the end of the run \(10s\)/);
  t.match(problems(() => validateScenario(base({ daemon: 'daemon:\n  name: command\n  command: /bin/true\n  log: /tmp/x.log', faults: 'faults:\n  - kind: plugin-stall\n    at: 1s\n    for: 1s' }))),
    /faults\[0\]: plugin-stall cannot apply to a command daemon/);
  t.match(problems(() => validateScenario(base({ daemon: 'daemon:\n  name: command\n  command: /bin/true\n  log: /tmp/x.log', faults: 'faults:\n  - kind: freeze-fs\n    at: 1s\n    for: 1s' }))),
    /faults\[0\]: freeze-fs cannot apply to a command daemon: .*daemon\.log is \/tmp\/x\.log.*write the log under @LOGDIR@/);
  t.doesNotThrow(() => validateScenario(base({ daemon: 'daemon:\n  name: command\n  command: /bin/true\n  log: "@LOGDIR@/audit.log"', faults: 'faults:\n  - kind: freeze-fs\n    at: 1s\n    for: 1s' })), 'a log under @LOGDIR@ is reached');
  const s = validateScenario(base({ faults: 'faults:\n  - kind: stall-daemon\n    at: 1s\n    for: 1s\n    repeat:\n      every: 3s\n      times: 10' }));
  t.ok(s.source.warnings.some((w) => /faults\[0\] \(stall-daemon\): 3 of its 10 repeats fit in the run/.test(w)));
});
