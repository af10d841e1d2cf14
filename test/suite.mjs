#!/usr/bin/env node
// The whole suite, as `npm test` runs it: first the files that touch no machine-global state,
// two at a time (this VM has two cores), then every other file one at a time, because kernel
// audit, cgroups, mounts, printk and the OOM killer are global to the machine and several files
// measure CPU or time. A file is serial unless it is listed below: a new file is safe by default,
// and listing a file that uses the kernel test helpers is refused. Both parts always run; the
// closing `# { total: N, pass: N, fail: N ... }` line adds up tap's own summaries of the two
// parts, and the exit code is non-zero when either part failed.
//   node test/suite.mjs              the suite
//   node test/suite.mjs FILE...      just these files, one at a time (plain `tap FILE...`)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TAP = join(ROOT, 'node_modules/.bin/tap');
const PARALLEL_JOBS = 2;

/** Files that need no root-global state (no kernel audit, cgroup, mount, sysctl, /dev/kmsg, OOM
 *  kill) and measure nothing that a second busy core would skew. */
const PARALLEL = [
  'test/auditd/config.test.ts',
  'test/auditd/dispatcher.test.ts',
  'test/auditd/event-gate.test.ts',
  'test/auditd/format.test.ts',
  'test/auditd/input-decode.test.ts',
  'test/auditd/queue.test.ts',
  'test/ci/collect.test.ts',
  'test/ci/workflow-lint.test.ts',
  'test/docs/doc-blocks.test.ts',
  'test/docs/figures.test.ts',
  'test/harness/baseline/baseline.test.ts',
  'test/harness/bench/format.test.ts',
  'test/harness/cli/conventions.test.ts',
  'test/harness/cli/startup.test.ts',
  'test/harness/compare/compare.test.ts',
  'test/harness/daemons/memory-promise.test.ts',
  'test/harness/faults/effects.test.ts',
  'test/harness/faults/timeline.test.ts',
  'test/harness/host/cgroup-detect.test.ts',
  'test/harness/host/cgroup-v2.test.ts',
  'test/harness/host/printk.test.ts',
  'test/harness/input/bad-input.test.ts',
  'test/harness/input/fuzz.test.ts',
  'test/harness/kernel/codec.test.ts',
  'test/harness/metrics/aggregates.test.ts',
  'test/harness/metrics/downsample.test.ts',
  'test/harness/metrics/metrics-file.test.ts',
  'test/harness/monitors/throughput-stats.test.ts',
  'test/harness/report/envelope.test.ts',
  'test/harness/report/first-screen.test.ts',
  'test/harness/report/junit-markdown.test.ts',
  'test/harness/report/report-browser.test.ts',
  'test/harness/report/run-data.test.ts',
  'test/harness/reproduce/derive.test.ts',
  'test/harness/reproduce/hostile-bundle.test.ts',
  'test/harness/reproduce/notes.test.ts',
  'test/harness/rules/compile.test.ts',
  'test/harness/rules/decode.test.ts',
  'test/harness/rules/parse.test.ts',
  'test/harness/rules/rule-file.test.ts',
  'test/harness/scenario/json-schema.test.ts',
  'test/harness/scenario/load-scenario.test.ts',
  'test/harness/scenario/preflight.test.ts',
  'test/harness/scenario/units.test.ts',
  'test/harness/soak/compressed-soak.test.ts',
  'test/harness/soak/leak-check.test.ts',
  'test/harness/verdict/accounting.test.ts',
  'test/harness/verdict/log-bytes.test.ts',
  'test/harness/verdict/log-format-json.test.ts',
  'test/harness/verdict/recovery.test.ts',
  'test/loads/generators/prng-shape.test.ts',
  'test/package/pack.test.ts',
  'test/package/path.test.ts',
];

/** imports that mark a file as one that drives the kernel */
const KERNEL_HELPERS = /\/helpers\/kernel(-env)?\.ts['"]/;

function testFiles(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(rel);
    return e.name.endsWith('.test.ts') ? [rel] : [];
  }).sort();
}

function fail(message) {
  process.stderr.write(`test/suite.mjs: ${message}\n`);
  process.exit(2);
}

/** Runs tap and reads the summary it prints last. On a terminal tap writes to it directly (its
 *  live progress) and a copy of its raw TAP goes to a file to read; otherwise (a pipe, CI, where
 *  the reporter prints nothing when it also writes that file) its output passes through here. */
async function tap(label, args, files) {
  process.stdout.write(`\n# ${label}: ${files.length} file(s)\n`);
  let text = '';
  let r;
  if (process.stdout.isTTY && !process.env.CI) {
    const dir = mkdtempSync(join(tmpdir(), 'auditstorm-suite-'));
    const out = join(dir, 'out.tap');
    r = spawnSync(TAP, [...args, '--output-file', out, ...files], { cwd: ROOT, stdio: 'inherit' });
    text = existsSync(out) ? readFileSync(out, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
  } else {
    const child = spawn(TAP, [...args, ...files], { cwd: ROOT, stdio: ['inherit', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => { text += d; process.stdout.write(d); });
    r = await new Promise((res) => {
      child.on('error', (error) => res({ status: null, signal: null, error }));
      child.on('close', (status, signal) => res({ status, signal, error: null }));
    });
  }
  const line = text.match(/^# \{ total: .*\}$/gm)?.at(-1);
  const summary = line ? Object.fromEntries([...line.matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])])) : null;
  const ok = r.status === 0 && summary !== null;
  if (!ok) process.stdout.write(`# ${label}: tap ${r.signal ? `killed by ${r.signal}` : r.error ? `did not run (${r.error.message})` : `exited ${r.status}`}${summary ? '' : ', no summary'}\n`);
  return { ok, summary };
}

const args = process.argv.slice(2);
if (args.length) {
  const r = spawnSync(TAP, args, { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const all = testFiles('test');
const missing = PARALLEL.filter((f) => !all.includes(f));
if (missing.length) fail(`listed as parallel but not a test file: ${missing.join(', ')} (update the PARALLEL list)`);
const kernel = PARALLEL.filter((f) => KERNEL_HELPERS.test(readFileSync(join(ROOT, f), 'utf8')));
if (kernel.length) fail(`listed as parallel but imports the kernel test helpers: ${kernel.join(', ')}`);
const serial = all.filter((f) => !PARALLEL.includes(f));

const parts = [
  await tap(`parallel part (${PARALLEL_JOBS} at a time, no machine-global state)`, [`--jobs=${PARALLEL_JOBS}`], PARALLEL),
  await tap('serial part (one at a time: kernel audit, cgroups, mounts, timing)', ['--jobs=1'], serial),
];
const total = {};
for (const p of parts) for (const [k, v] of Object.entries(p.summary ?? {})) total[k] = (total[k] ?? 0) + v;
total.fail ??= 0;
const keys = ['total', 'pass', 'fail', ...Object.keys(total).filter((k) => !['total', 'pass', 'fail'].includes(k))];
process.stdout.write(`\n# the whole suite, both parts (${all.length} files):\n`);
process.stdout.write(`# { ${keys.map((k) => `${k}: ${total[k] ?? 0}`).join(', ')} }\n`);
process.exit(parts.every((p) => p.ok) ? 0 : 1);
