#!/usr/bin/env node
// The whole suite, as `npm test` runs it, on this two-core VM: one file first, on its own (tap
// builds its plugins there when it must), then two phases:
//  1. two lanes at once, one file at a time each: the files listed in PARALLEL (no machine-global
//     state, nothing measured) and the kernel files listed in BESIDE (they use kernel audit,
//     cgroups or mounts, but assert exact counts or loose bounds that one busy core does not
//     move, and do not load the machine to saturation);
//  2. every other file, alone, one at a time: kernel audit, cgroups, mounts, printk and the OOM
//     killer are global to the machine, and these files measure CPU, RSS, rates or latency, or
//     saturate both cores.
// A file is in phase 2 unless it is listed: a new file runs alone by default, and listing in
// PARALLEL a file that uses the kernel test helpers is refused. The PARALLEL lane's output is
// held back and printed after phase 1, so two tap runs never interleave. Every part always runs;
// the closing `# { total: N, pass: N, fail: N ... }` line adds up tap's own summaries of the
// parts, and the exit code is non-zero when any part failed.
//   node test/suite.mjs              the suite
//   node test/suite.mjs FILE...      just these files, one at a time (plain `tap FILE...`)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TAP = join(ROOT, 'node_modules/.bin/tap');

/** Files that need no root-global state (no kernel audit, cgroup, mount, sysctl, /dev/kmsg, OOM
 *  kill) and measure nothing that a second busy core would skew. */
const PARALLEL = [
  'test/auditd/config.test.ts',
  'test/auditd/dispatcher.test.ts',
  'test/auditd/event-gate.test.ts',
  'test/auditd/format.test.ts',
  'test/auditd/input-decode.test.ts',
  'test/auditd/priority.test.ts',
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
  'test/harness/host/lock.test.ts',
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
  'test/loads/generators/op-time.test.ts',
  'test/loads/generators/prng-shape.test.ts',
  'test/package/pack.test.ts',
  'test/package/path.test.ts',
];

/** Serial files (kernel audit, cgroups, mounts) that may run beside the PARALLEL lane: what they
 *  assert is an exact count, a state or a loose bound (seconds where milliseconds are expected),
 *  their loads are paced well below what one core does, and the PARALLEL files touch nothing
 *  they check. A file that measures CPU, RSS, a rate or a latency, paces a load to a shape, or
 *  saturates the machine stays out of this list. */
const BESIDE = [
  'test/auditd/enriched.test.ts',
  'test/auditd/malformed.test.ts',
  'test/auditd/signals.test.ts',
  'test/ci/check-clean.test.ts',
  'test/harness/daemons/forwarding.test.ts',
  'test/harness/faults/reset-after-kill.test.ts',
  'test/harness/faults/run-faults.test.ts',
  'test/harness/host/cgroup-cleanup.test.ts',
  'test/harness/host/layering.test.ts',
  'test/harness/host/restore.test.ts',
  'test/harness/host/state-file.test.ts',
  'test/harness/kernel/audit-control.test.ts',
  'test/harness/monitors/audit-status.test.ts',
  'test/harness/monitors/kmsg.test.ts',
  'test/harness/rules/commands.test.ts',
  'test/harness/rules/oracle.test.ts',
  'test/harness/run/exact-accounting.test.ts',
  'test/harness/run/run-all-table.test.ts',
  'test/harness/run/run-scenario.test.ts',
  'test/harness/run/unaudited-load.test.ts',
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

/** Resolves when the child has exited and its output is read: { status, signal, error }. */
function closed(child) {
  return new Promise((res) => {
    child.on('error', (error) => res({ status: null, signal: null, error }));
    child.on('close', (status, signal) => res({ status, signal, error: null }));
  });
}

/** Runs tap and reads the summary it prints last. On a terminal tap writes to it directly (its
 *  live progress) and a copy of its raw TAP goes to a file to read; otherwise (a pipe, CI, where
 *  the reporter prints nothing when it also writes that file) its output passes through here.
 *  `held`: its output (stdout and stderr) is kept and returned, for the caller to print later. */
async function tap(label, args, files, { held = false } = {}) {
  const heading = `\n# ${label}: ${files.length} file(s)\n`;
  if (!held) process.stdout.write(heading);
  // tap given no file runs every file .taprc includes: an empty part runs nothing
  if (!files.length) return { ok: true, summary: {}, output: heading };
  let text = '';
  let kept = heading;
  let r;
  if (process.stdout.isTTY && !process.env.CI && !held) {
    const dir = mkdtempSync(join(tmpdir(), 'auditstorm-suite-'));
    const out = join(dir, 'out.tap');
    r = await closed(spawn(TAP, [...args, '--output-file', out, ...files], { cwd: ROOT, stdio: 'inherit' }));
    text = existsSync(out) ? readFileSync(out, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
  } else {
    const child = spawn(TAP, [...args, ...files], { cwd: ROOT, stdio: ['ignore', 'pipe', held ? 'pipe' : 'inherit'] });
    child.stdout.on('data', (d) => { text += d; if (held) kept += d; else process.stdout.write(d); });
    child.stderr?.on('data', (d) => { kept += d; });
    r = await closed(child);
  }
  const line = text.match(/^# \{ total: .*\}$/gm)?.at(-1);
  const summary = line ? Object.fromEntries([...line.matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])])) : null;
  const ok = r.status === 0 && summary !== null;
  const verdict = ok ? '' : `# ${label}: tap ${r.signal ? `killed by ${r.signal}` : r.error ? `did not run (${r.error.message})` : `exited ${r.status}`}${summary ? '' : ', no summary'}\n`;
  if (held) kept += verdict;
  else process.stdout.write(verdict);
  return { ok, summary, output: kept };
}

const args = process.argv.slice(2);
if (args.length) {
  const r = spawnSync(TAP, args, { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const all = testFiles('test');
for (const [name, list] of [['PARALLEL', PARALLEL], ['BESIDE', BESIDE]]) {
  const missing = list.filter((f) => !all.includes(f));
  if (missing.length) fail(`listed in ${name} but not a test file: ${missing.join(', ')} (update the ${name} list)`);
}
const both = PARALLEL.filter((f) => BESIDE.includes(f));
if (both.length) fail(`listed in both PARALLEL and BESIDE: ${both.join(', ')}`);
const kernel = PARALLEL.filter((f) => KERNEL_HELPERS.test(readFileSync(join(ROOT, f), 'utf8')));
if (kernel.length) fail(`listed as parallel but imports the kernel test helpers: ${kernel.join(', ')}`);
const alone = all.filter((f) => !PARALLEL.includes(f) && !BESIDE.includes(f));

// First one file on its own: when tap's plugin build does not match .taprc (a fresh install),
// tap rebuilds it in node_modules before running anything, and two tap runs starting at once
// would both rebuild it and one fail (EEXIST on .tap/plugins).
const first = await tap('first file (tap builds its plugins here when it must)', ['--jobs=1'], PARALLEL.slice(0, 1));
// phase 1: the two lanes; the PARALLEL lane's output waits until both are done
const [lane, beside] = await Promise.all([
  tap('parallel lane (no machine-global state), beside the kernel lane', ['--jobs=1'], PARALLEL.slice(1), { held: true }),
  tap('kernel lane (exact counts, loose bounds), beside the parallel lane', ['--jobs=1'], BESIDE),
]);
process.stdout.write(lane.output);
// phase 2
const parts = [first, lane, beside,
  await tap('serial part, alone (one at a time: CPU, RSS, rates, latency, saturating loads)', ['--jobs=1'], alone)];
const total = {};
for (const p of parts) for (const [k, v] of Object.entries(p.summary ?? {})) total[k] = (total[k] ?? 0) + v;
total.fail ??= 0;
const keys = ['total', 'pass', 'fail', ...Object.keys(total).filter((k) => !['total', 'pass', 'fail'].includes(k))];
process.stdout.write(`\n# the whole suite, all parts (${all.length} files):\n`);
process.stdout.write(`# { ${keys.map((k) => `${k}: ${total[k] ?? 0}`).join(', ')} }\n`);
process.exit(parts.every((p) => p.ok) ? 0 : 1);
