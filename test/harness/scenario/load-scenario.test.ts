import t from 'tap';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  loadScenario, ScenarioError, scenarioAsRunYaml, validateScenario, listScenarioFiles, SCENARIOS_DIR, PROJECT_ROOT,
} from '../../../harness/scenario/load-scenario.ts';
import { scenariosCommand, validateCommand } from '../../../harness/scenario/commands.ts';

const fixtures = join(PROJECT_ROOT, 'test/fixtures/scenarios');
const fx = (f: string) => join(fixtures, f);

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err.message.split('\n').slice(1).map((l) => l.trim());
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

t.test('a minimal scenario gets its defaults', async (t) => {
  const s = loadScenario(fx('valid-minimal.yaml'));
  t.equal(s.name, 'valid-minimal');
  t.equal(s.durationMs, 5000);
  t.equal(s.seed, 42);
  t.equal(s.source.seedGenerated, false);
  t.same(s.kernel, { backlogLimit: 8192, backlogWaitTimeMs: 60_000, rateLimit: 0, failure: 1 });
  t.equal(s.daemon.name, 'tsauditd');
  t.equal(s.daemon.policy, 'block');
  t.equal(s.daemon.memoryLimitBytes, 512 * 1024 * 1024);
  t.equal(s.rules.path, join(PROJECT_ROOT, 'rules/openat-storm.rules'));
  t.same(s.loads[0], {
    name: 'open-close-0', generator: 'open-close', processes: 1, rate: 'max', shape: { kind: 'steady' },
    durationMs: null, count: 100, startMs: 0, allowUnaudited: false, options: { files: 1 },
  });
  t.same(s.faults, []);
  t.equal(s.expect.peakRssMax, null);
});

t.test('each class of error names file:line:col, the field path, the value and what is allowed', async (t) => {
  const file = fx('bad-many.yaml');
  const p = problems(() => loadScenario(file));
  const expected: [RegExp, string][] = [
    [/bad-many\.yaml:3:11: duration: 10 has no unit; write 10s or 10ms .* \(got 10\)$/, 'bare number for a duration'],
    [/bad-many\.yaml:6:12: kernel\.failure: failure 2 is refused: it panics the kernel .* \(got 2\)$/, 'failure 2 refused with the reason'],
    [/bad-many\.yaml:9:3: daemon\.polcy: unknown key in daemon; allowed keys: name, policy, .* \(did you mean "policy"\?\)$/, 'unknown key, with a suggestion'],
    [/bad-many\.yaml:10:17: daemon\.memory_limit: "256M": unknown unit "M"; "M" is ambiguous: write 256MiB \(binary\) or 256MB \(decimal\).* \(got "256M"\)$/, 'ambiguous size unit'],
    [/bad-many\.yaml:13:11: loads\[0\]\.rate: a rate in operations per second per process \(a number > 0\) or "max" \(got "fast"\)$/, 'bad enum-like value'],
    [/bad-many\.yaml:14:16: loads\[1\]\.generator: .*one of open-close, stat, file-write, fork-exec, tcp, http, user-message \(got "teleport"\)$/, 'unknown generator'],
    [/bad-many\.yaml:16:5: faults\[0\]\.for: missing \(required\): a duration/, 'missing required field'],
  ];
  t.equal(p.length, expected.length, p.join('\n'));
  for (const [re, what] of expected) t.ok(p.some((l) => re.test(l)), `${what}: ${p.find((l) => l.includes(re.source.split(':')[2] ?? '')) ?? ''}`);
  // and the whole message is in line order
  const lines = p.map((l) => Number(/:(\d+):\d+:/.exec(l)![1]));
  t.same(lines, [...lines].sort((a, b) => a - b));
});

t.test('not a file, not YAML, not a mapping', async (t) => {
  t.match(problems(() => loadScenario(fx('does-not-exist.yaml')))[0] ?? '', '');
  t.throws(() => loadScenario(fx('does-not-exist.yaml')), { message: /does-not-exist\.yaml: no such scenario file; scenarios in .*: .*slow-writer/ });
  t.throws(() => loadScenario(fixtures), { message: /is a directory, not a scenario file/ });
  t.throws(() => loadScenario(fx('not-yaml.yaml')), { message: /not-yaml\.yaml:\d+:\d+: not valid YAML: / });
  t.throws(() => validateScenario('- a\n- b\n', { path: 'list.yaml' }), { message: /list\.yaml:1:1: a scenario file is a YAML mapping/ });
  t.throws(() => validateScenario('name: a\nname: b\n', { path: 'dup.yaml' }), { message: /dup\.yaml:2:1: key "name" is given twice \(first on line 1\)/ });
});

const base = (extra: string) => `name: t\ndescription: d\nduration: 30s\nrules: openat-storm.rules\ndaemon: {}\nloads:\n  - generator: open-close\n${extra}`;

t.test('cross-field rules', async (t) => {
  t.throws(() => validateScenario(base('    duration: 5s\n    count: 10\n')), { message: /loads\[0\]\.count: give duration or count, not both/ });
  t.throws(() => validateScenario(base('    rate: 10\n    shape: {kind: ramp, from: 1, to: 5}\n')), { message: /loads\[0\]\.rate: a ramp shape sets its own rates; remove rate/ });
  t.throws(() => validateScenario(base('faults:\n  - {kind: stall-daemon, at: 40s, for: 1s}\n')), { message: /faults\[0\]\.at: must be before the end of the run \(30s\)/ });
  t.throws(() => validateScenario(base('faults:\n  - {kind: freeze-fs, for: 5s, repeat: {every: 5s, times: 3}}\n')), { message: /faults\[0\]\.repeat\.every: repeat\.every must be longer than for/ });
  t.throws(() => validateScenario(base('').replace('daemon: {}', 'daemon: {name: command}')), { message: /daemon\.command: required when daemon\.name is command/ });
  t.throws(() => validateScenario(base('').replace('openat-storm.rules', 'nope.rules')), { message: /rules: no such rule file .*nope\.rules; rule files in .*: .*openat-storm\.rules/ });
  t.throws(() => validateScenario(base('    options: {files: 0}\n')), { message: /loads\[0\]\.options\.files: a number of scratch files from 1 to 10000 \(got 0\)/ });
  t.throws(() => validateScenario(base('  - generator: user-message\n    options: {sizes: [{size: 9KiB}]}\n')), { message: /loads\[1\]\.options\.sizes\[0\]\.size: message size \(the kernel's maximum is 8560 B\) must be from 1 B to 8560 B; got 9216 B/ });
});

t.test('every fault kind has a schema', async (t) => {
  const faults = `faults:
  - {kind: stall-daemon, at: 1s, for: 2s, repeat: {every: 5s, times: 2}}
  - {kind: slow-disk, rate: 1MiB/s}
  - {kind: freeze-fs, at: 3s, for: 2s}
  - {kind: disk-full, at: 4s, for: 3s, leave: 1MiB}
  - {kind: crash, at: 5s, restart_after: 2s}
  - {kind: crash, at: 6s, restart_after: never}
  - {kind: cpu-starve, cpu: 0.1}
  - {kind: memory-squeeze, at: 7s, for: 5s, memory_limit: 64MiB}
  - {kind: plugin-stall, at: 8s, for: 2s, plugin: slow}
  - {kind: late-start, at: 2s}
  - {kind: burst, at: 9s, for: 3s, generator: fork-exec, processes: 2, rate: 500}
`;
  const s = validateScenario(base(faults));
  t.same(s.faults.map((f) => f.kind), ['stall-daemon', 'slow-disk', 'freeze-fs', 'disk-full', 'crash', 'crash', 'cpu-starve',
    'memory-squeeze', 'plugin-stall', 'late-start', 'burst']);
  t.match(s.faults[0], { at: 1000, for: 2000, repeat: { every: 5000, times: 2 } });
  t.match(s.faults[1], { rate: 1048576, method: 'auto' });
  t.match(s.faults[5], { restart_after: 'never' });
  t.throws(() => validateScenario(base('faults:\n  - {kind: late-start, at: 2s, for: 1s}\n')), { message: /faults\[0\]\.for: unknown key in a late-start fault/ });
  t.throws(() => validateScenario(base('faults:\n  - {kind: burst, for: 1s, generator: tcp, options: {concurrency: 0}}\n')), { message: /faults\[0\]\.options\.concurrency: an integer from 1 to 1024/ });
});

t.test('overrides, a generated seed, and scenario.yaml as run', async (t) => {
  const s = loadScenario(join(SCENARIOS_DIR, 'slow-writer.yaml'), { daemon: 'auditd', policy: 'unbounded', duration: '20s' });
  t.equal(s.daemon.name, 'auditd');
  t.equal(s.daemon.policy, 'unbounded');
  t.equal(s.durationMs, 20_000);
  t.equal(s.source.seedGenerated, true);
  t.same(s.daemon.config, { flush: 'sync', freq: '0' }, 'tsauditd-only keys are not given to auditd');
  t.match(s.source.warnings.join('\n'), /--policy unbounded applies to tsauditd only/);
  const asRun = scenarioAsRunYaml(s);
  t.match(asRun, /^# As run by auditstorm:/);
  t.match(asRun, /# slow-writer: the 2009 runaway queue/, 'original comments kept');
  const again = validateScenario(asRun);
  t.equal(again.seed, s.seed, 'the seed is recorded');
  t.equal(again.daemon.name, 'auditd');
  t.equal(again.durationMs, 20_000);
  t.equal(parse(asRun).seed, s.seed);
  t.throws(() => loadScenario(join(SCENARIOS_DIR, 'slow-writer.yaml'), { duration: '10' }), { message: /\(command line\): --duration: "10" has no unit/ });
  t.throws(() => loadScenario(join(SCENARIOS_DIR, 'slow-writer.yaml'), { daemon: 'systemd' as never }), { message: /--daemon: one of tsauditd, auditd, command \(got "systemd"\)/ });
});

t.test('shipped scenarios are valid, commented, and listed', async (t) => {
  const files = listScenarioFiles();
  t.ok(files.includes('slow-writer.yaml'));
  for (const f of files) {
    const s = loadScenario(join(SCENARIOS_DIR, f));
    t.equal(`${s.name}.yaml`, f, `${f}: name matches the file`);
    t.match(s.source.text, /^# /, `${f}: starts with a header comment`);
    t.match(s.source.text, /Expects?:/, `${f}: says what it expects`);
  }
  const sw = loadScenario(join(SCENARIOS_DIR, 'slow-writer.yaml'));
  t.ok(sw.durationMs <= 60_000);
  t.equal(sw.expect.peakRssMax, 'hwm');
  t.equal(sw.expect.silentLossMax, 0);
  t.equal(sw.expect.oomKillsMax, 0);
  t.equal(sw.daemon.config.flush, 'sync');
  const list = scenariosCommand();
  t.equal(list.exitCode, 0);
  t.equal(list.text.trim().split('\n').length, files.length, 'one line each');
  t.equal(validateCommand('slow-writer').exitCode, 0);
  const bad = validateCommand(fx('bad-many.yaml'));
  t.equal(bad.exitCode, 2);
  t.match(bad.errors, /7 problems/);
  t.equal(scenariosCommand(fixtures).exitCode, 2, 'a directory with a broken scenario exits 2');
});

t.test('expect.tolerance may name only some figures (the rest keep their defaults)', async (t) => {
  const text = 'name: tol\ndescription: d\nduration: 5s\nrules: openat-storm.rules\nloads:\n  - generator: open-close\nexpect:\n  tolerance:\n    peak_rss: 15%\n    backlog_wait: 500ms\n';
  t.doesNotThrow(() => validateScenario(text, { path: 'tol.yaml' }), 'two of six tolerance keys validate');
  t.throws(() => validateScenario(text.replace('peak_rss', 'peak_rs'), { path: 'tol.yaml' }), /tol\.yaml:9:\d+: expect\.tolerance/, 'an unknown key is still refused');
});
