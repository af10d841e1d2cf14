// Property-based fuzzing of every parser of untrusted input (pure: no kernel). Each property is
// seeded (reproducible: FUZZ_SEED=N overrides) and bounded in time (FUZZ_MS per parser, default
// 700 ms): whatever the input, the parser returns or throws its own typed error, never anything
// else, within a second, with a message of bounded length.
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { compileRuleText } from '../../../harness/rules/rule-file.ts';
import { RuleDataError, RuleError } from '../../../harness/rules/errors.ts';
import { decodeRuleData } from '../../../harness/rules/rule-data.ts';
import { validateScenario, ScenarioError } from '../../../harness/scenario/load-scenario.ts';
import { parseByteRate, parseDuration, parseSize, UnitError } from '../../../harness/scenario/units.ts';
import { ConfigError, parseConfig } from '../../../auditd/config.ts';
import { parsePluginConf } from '../../../auditd/plugin-config.ts';
import { classifyDatagram, unpackBatch } from '../../../auditd/input-decode.ts';
import { ConfigRenderError, renderConfig } from '../../../harness/daemons/config-file.ts';
import { parseAuditLogs } from '../../../harness/reproduce/parse-log.ts';
import { parseAuditdConf, parseMeminfo, parseStatus } from '../../../harness/reproduce/parse-small.ts';
import { parseKmsg } from '../../../harness/reproduce/parse-kmsg.ts';
import { deriveFromBundle, UnusableBundleError } from '../../../harness/reproduce/derive.ts';
import { BundleError, type BundleFile } from '../../../harness/reproduce/bundle-files.ts';
import { firstInvalidUtf8 } from '../../../harness/input/untrusted.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 700);
/** one input may take at most this long: a hang or a quadratic blow-up shows here */
const PER_INPUT_MS = 1000;
const MESSAGE_MAX = 6000;

type ErrorClass = abstract new (...args: never[]) => Error;

/** Run `fn` on each input; it may return or throw one of `allowed`, quickly, with a bounded message. */
function fuzz<T>(t: { ok: (v: unknown, m: string) => unknown }, name: string, arb: fc.Arbitrary<T>, fn: (v: T) => unknown, allowed: ErrorClass[]): void {
  let runs = 0;
  const typed = new Map<string, number>();
  fc.assert(fc.property(arb, (v) => {
    runs++;
    const t0 = performance.now();
    try {
      fn(v);
    } catch (err) {
      if (!allowed.some((c) => err instanceof c)) throw new Error(`${name}: untyped ${(err as Error)?.name}: ${(err as Error)?.message}`);
      const msg = (err as Error).message;
      if (msg.length > MESSAGE_MAX) throw new Error(`${name}: a ${msg.length}-character message echoes too much`);
      typed.set((err as Error).name, (typed.get((err as Error).name) ?? 0) + 1);
    }
    const ms = performance.now() - t0;
    if (ms > PER_INPUT_MS) throw new Error(`${name}: one input took ${ms.toFixed(0)} ms`);
  }), { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false });
  t.ok(runs > 20, `${name}: ${runs} inputs, errors ${JSON.stringify(Object.fromEntries(typed))}`);
}

// text close to each format, so the fuzzer reaches past the first check
const ruleWord = fc.oneof(
  fc.constantFrom('-a', 'always,exit', 'never,exit', '-A', '-S', 'openat', 'all', '-F', 'auid=@AUID@', 'auid==1', 'auid<>1', 'gid=-5',
    'arch=b64', 'path=/tmp/a', 'dir=/tmp', 'perm=wa', '-k', 'key', '-w', '/etc/passwd', '-p', 'rwxa', '-b', '8192', '-e', '2', '-D',
    'exit=-EACCES', 'msgtype=USER', 'a0&0x40', '--backlog_wait_time', '\\ ', '#', 'x'.repeat(9000), '\x1d', '\u00e9'),
  fc.string({ maxLength: 12 }),
);
const ruleText = fc.array(fc.array(ruleWord, { maxLength: 12 }).map((ws) => ws.join(' ')), { maxLength: 8 }).map((ls) => ls.join('\n'));

t.test('rule text', async (t) => {
  fuzz(t, 'compileRuleText', fc.oneof(ruleText, fc.string({ maxLength: 300 })),
    (s) => compileRuleText(s, 'fuzz.rules', { placeholders: { AUID: '4200000000', SCRATCH: '/tmp/s' }, isDirectory: () => false }), [RuleError]);
});

t.test('kernel rule payloads', async (t) => {
  fuzz(t, 'decodeRuleData', fc.uint8Array({ minLength: 0, maxLength: 1400 }), (b) => decodeRuleData(b), [RuleDataError]);
});

const yamlValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' },
    fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
    fc.constantFrom('10s', '.inf', '1h30m', '256MiB', 'max', 'open-close', 'tsauditd', 'openat-storm.rules', 'sync\nlog_file = /x'),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('name', 'generator', 'kind', 'rate', 'at', 'for', 'config', 'queue_hwm', 'x', 'count'), tie('v'), { maxKeys: 4 })),
})).v;
const scenarioish = fc.record({
  name: fc.oneof(fc.constant('fz'), fc.string({ maxLength: 8 })),
  description: fc.constant('d'),
  duration: fc.oneof(fc.constantFrom('10s', '2s', '.inf', '0s'), fc.string({ maxLength: 6 })),
  rules: fc.constantFrom('openat-storm.rules', 'execve-storm.rules', 'nope.rules', '../../../etc/passwd.rules'),
  daemon: fc.oneof(fc.constant({}), fc.record({ name: fc.constantFrom('tsauditd', 'auditd', 'command'), config: fc.dictionary(fc.constantFrom('flush', 'freq', 'queue_hwm', 'queue_lwm', 'space_left', 'admin_space_left', 'log_file', 'bogus'), yamlValue, { maxKeys: 3 }) })),
  loads: fc.array(fc.record({ generator: fc.constantFrom('open-close', 'file-write', 'user-message', 'tcp'), rate: fc.oneof(fc.constant(100), yamlValue), name: fc.constantFrom('a', 'b') }), { maxLength: 3 }),
  faults: fc.array(fc.record({ kind: fc.constantFrom('stall-daemon', 'crash', 'plugin-stall', 'bogus'), at: fc.constantFrom('1s', '9s', 'x'), for: fc.constantFrom('1s', '20s') }), { maxLength: 2 }),
}, { requiredKeys: [] });
const yamlTricks = fc.constantFrom('a: *nope\n', 'a: &a [1]\nb: [*a, *a]\n', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n',
  'a: 1\na: 2\n', '!!binary AAAA\n', '%YAML 9.9\n---\n', 'a: !!js/function "x"\n', '? [a]\n: b\n', '\u00ef\u00bb\u00bfname: x\n');

t.test('scenario YAML', async (t) => {
  fuzz(t, 'validateScenario', fc.oneof(
    scenarioish.map((o) => stringify(o)),
    fc.tuple(scenarioish.map((o) => stringify(o)), yamlTricks).map(([a, b]) => `${a}${b}`),
    fc.string({ maxLength: 300 }),
  ), (text) => validateScenario(text, { path: join(tmpdir(), 'fuzz.yaml') }), [ScenarioError]);
});

t.test('durations and sizes', async (t) => {
  const unitish = fc.oneof(fc.string({ maxLength: 20 }), fc.double(), fc.integer(), fc.constant(null), fc.constant(undefined),
    fc.tuple(fc.stringMatching(/^[0-9.]{0,30}$/), fc.constantFrom('', 'ms', 's', 'm', 'h', 'd', 'B', 'KiB', 'MB', 'k', '/s', 'KiB/s', 'e400s')).map(([a, b]) => a + b));
  fuzz(t, 'parseDuration', unitish, (v) => parseDuration(v), [UnitError]);
  fuzz(t, 'parseSize', unitish, (v) => parseSize(v), [UnitError]);
  fuzz(t, 'parseByteRate', unitish, (v) => parseByteRate(v), [UnitError]);
});

const confLine = fc.oneof(
  fc.tuple(fc.constantFrom('flush', 'freq', 'queue_hwm', 'queue_lwm', 'queue_hwm_bytes', 'recv_buffer_bytes', 'log_file', 'space_left', 'admin_space_left', 'plugin_dir', 'oom_score_adj', 'x'),
    fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('0', '4G', '99999999999999999999999', '/', '/tmp', 'sync', '10%', '-1', 'keep'))).map(([k, v]) => `${k} = ${v}`),
  fc.string({ maxLength: 40 }),
);
t.test('tsauditd auditd.conf and plugins.d', async (t) => {
  fuzz(t, 'parseConfig', fc.array(confLine, { maxLength: 10 }).map((ls) => ls.join('\n')), (text) => parseConfig(text, 'auditd.conf', '/nonexistent/cfg'), [ConfigError]);
  const pluginLine = fc.oneof(fc.tuple(fc.constantFrom('active', 'path', 'args', 'format', 'q_depth', 'type', 'direction', 'x'), fc.string({ maxLength: 10 })).map(([k, v]) => `${k} = ${v}`), fc.string({ maxLength: 30 }));
  fuzz(t, 'parsePluginConf', fc.array(pluginLine, { maxLength: 8 }).map((ls) => ls.join('\n')), (text) => {
    const r = parsePluginConf(text, 'p.conf');
    if (r.config === null && r.errors.length === 0) throw new Error('no config and no error');
  }, []);
  fuzz(t, 'renderConfig', fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double(), fc.boolean())), (map) => {
    const text = renderConfig(map, 'fuzz');
    // rendered: exactly one line per key, so nothing was injected
    if (text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length !== Object.keys(map).length) throw new Error(`line injected: ${JSON.stringify(text)}`);
  }, [ConfigRenderError]);
});

const bytes = fc.uint8Array({ maxLength: 300 });
t.test('netlink datagrams', async (t) => {
  fuzz(t, 'classifyDatagram', fc.tuple(bytes, fc.nat(4)), ([b, flags]) => classifyDatagram(b, 0, b.length, flags), []);
  fuzz(t, 'unpackBatch', bytes, (b) => unpackBatch(b.slice().buffer), []);
  fuzz(t, 'firstInvalidUtf8 agrees with TextDecoder', bytes, (b) => {
    let fatal = true;
    try { new TextDecoder('utf-8', { fatal: true }).decode(b); } catch { fatal = false; }
    if ((firstInvalidUtf8(b) < 0) !== fatal) throw new Error(`disagree on ${Buffer.from(b).toString('hex')}`);
  }, []);
});

const logLine = fc.oneof(
  fc.tuple(fc.constantFrom('SYSCALL', 'PATH', 'EOE', 'USER', 'UNKNOWN[1400]'), fc.oneof(fc.constantFrom('0', '1700000000', '100000000000000000000000', '1700900000'), fc.stringMatching(/^[0-9]{1,12}$/)),
    fc.nat(99), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('syscall=257 key="k"', '\x1d'.repeat(2000) + 'SYSCALL=openat', 'arch=40000003 syscall=5')))
    .map(([ty, sec, n, body]) => `type=${ty} msg=audit(${sec}.000:${n}): ${body}`),
  fc.string({ maxLength: 40 }),
);
const kmsgLine = fc.oneof(fc.constantFrom('[ 1.0] audit: backlog limit exceeded', '[ 2.0] audit: audit_lost=99999999999999 audit_rate_limit=0 audit_backlog_limit=0',
  'Nov 10 23:00:01 h kernel: Killed process 12 (auditd) total-vm:1kB, anon-rss:999999999999kB', '[ 3.0] [  12]     0    12  1000  99999999999   0 -1000 auditd'), fc.string({ maxLength: 40 }));
const smallLine = fc.oneof(fc.constantFrom('backlog_limit 0', 'backlog_limit 100000000000000000000', 'MemTotal: 0 kB', 'MemTotal:  99999999999999999999 kB', 'freq = 0', 'q_depth = 100000000000000000000', 'AUDIT_STATUS: enabled=1 flag=1 pid=9 rate_limit=0 backlog_limit=320 lost=0 backlog=0'), fc.string({ maxLength: 30 }));
const file = (name: string, lines: string[]): BundleFile => ({ name, kind: 'notes', lines, rotation: 0 });
t.test('bundle files', async (t) => {
  fuzz(t, 'parseAuditLogs', fc.array(logLine, { maxLength: 30 }), (ls) => parseAuditLogs([file('audit.log', ls)], [], []), []);
  fuzz(t, 'parseKmsg', fc.array(kmsgLine, { maxLength: 20 }), (ls) => parseKmsg(file('dmesg', ls), []), []);
  fuzz(t, 'parseStatus/meminfo/auditd.conf', fc.array(smallLine, { maxLength: 20 }), (ls) => {
    parseStatus(file('s', ls), []);
    parseMeminfo(file('m', ls), []);
    parseAuditdConf(file('c', ls), []);
  }, []);
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  fuzz(t, 'deriveFromBundle', fc.array(fc.oneof(fc.array(logLine, { maxLength: 10 }), fc.array(kmsgLine, { maxLength: 5 }), fc.array(smallLine, { maxLength: 5 }), fc.array(ruleText, { maxLength: 3 })), { minLength: 1, maxLength: 4 }), (files) => {
    const b = mkdtempSync(join(dir, `b${n++}-`));
    files.forEach((ls, i) => writeFileSync(join(b, `f${i}.txt`), `${ls.join('\n')}\n`));
    deriveFromBundle(b);
  }, [BundleError, UnusableBundleError]);
});
