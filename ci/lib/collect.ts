// Collect a CI suite's run folders into one artifacts directory: per run, the report helper's
// report.html/junit.xml/summary.md (writeRunArtifacts, when harness/report provides it); for the
// suite, one junit.xml, one TAP file (each run a subtest) and one summary.md.
// usage: node lib/built-entry.mjs ci/lib/collect.ts ARTIFACTS_DIR SUITE_NAME
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { programPath } from '../../lib/paths.ts';
import { junitDocument, junitSuite } from '../../harness/report/junit.ts';
import { tapDocument, type TapPoint } from '../../harness/verdict/assertions.ts';
import type { RunSummary } from '../../harness/run/run-scenario.ts';

interface Summary {
  scenario: string; daemon: string; policy: string | null; verdict: 'pass' | 'fail'; durationMs: number; ended?: string;
  assertions: Array<{ name: string; ok: boolean; actual: unknown; limit: unknown; detail?: string }>;
  metrics: { peakRssBytes: number; oomKills: number; throughputEventsPerSec: number; events: { generated: number; logged: number; silentLoss: number } };
}

const [art, suite = 'gate'] = process.argv.slice(2);
if (!art) { console.error('usage: collect.ts ARTIFACTS_DIR [SUITE]'); process.exit(2); }
const runsDir = join(art, 'runs');
const dirs = existsSync(runsDir) ? readdirSync(runsDir).map((d) => join(runsDir, d)).filter((d) => existsSync(join(d, 'summary.json'))).sort() : [];
const failedRuns = existsSync(join(art, 'failed-to-run.txt')) ? readFileSync(join(art, 'failed-to-run.txt'), 'utf8').trim().split('\n').filter(Boolean) : [];

// the report module's built JavaScript (absent in a checkout without harness/report)
let reportIndex: string | null = null;
try { reportIndex = programPath('harness/report/index.ts'); } catch { /* not here: reports skipped, said below */ }
let writeRunArtifacts: ((dir: string) => Promise<void>) | null = null;
if (reportIndex) {
  try {
    writeRunArtifacts = (await import(pathToFileURL(reportIndex).href)).writeRunArtifacts ?? null;
  } catch (err) {
    console.error(`collect: harness/report could not be loaded (${(err as Error).message}); per-run HTML reports skipped`);
  }
}
const gaps: string[] = [];
if (!writeRunArtifacts) gaps.push('per-run report.html/junit.xml/summary.md: harness/report (writeRunArtifacts) is not available in this checkout');

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const summaries: Array<{ dir: string; s: Summary }> = [];
for (const d of dirs) {
  const s = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Summary;
  summaries.push({ dir: d, s });
  if (writeRunArtifacts) {
    try { await writeRunArtifacts(d); } catch (err) { gaps.push(`${d}: report failed: ${(err as Error).message}`); }
  }
}

const label = (s: Summary) => `${s.scenario} ${s.daemon}${s.policy ? `:${s.policy}` : ''}`;
// JUnit and TAP through the report's and the verdict's writers (one of each in the project)
const suites = [
  ...summaries.map(({ s }) => junitSuite(s as unknown as RunSummary)),
  ...failedRuns.map((f) => junitSuite(null, f, 'the run did not produce a summary (see its log in the artifacts)')),
];
writeFileSync(join(art, 'junit.xml'), junitDocument(`auditstorm ${suite}`, suites));

// TAP: each run a subtest holding its results.tap
const points: TapPoint[] = [
  ...summaries.map(({ dir, s }) => ({
    name: label(s), ok: s.verdict === 'pass',
    subtest: existsSync(join(dir, 'results.tap')) ? readFileSync(join(dir, 'results.tap'), 'utf8') : '',
  })),
  ...failedRuns.map((f) => ({ name: f, ok: false, comment: 'did not produce a summary' })),
];
writeFileSync(join(art, `${suite}.tap`), tapDocument(`auditstorm ${suite}`, points));

// Markdown summary
const failing = summaries.filter(({ s }) => s.verdict !== 'pass').length + failedRuns.length;
const md = [
  `# auditstorm ${suite}: ${failing ? `FAIL (${failing} of ${summaries.length + failedRuns.length})` : `PASS (${summaries.length} runs)`}`, '',
  '| run | verdict | peak RSS | events/s | generated | logged | silent loss | OOM kills | failed assertions |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...summaries.map(({ dir, s }) => `| [${label(s)}](runs/${dir.split('/').pop()}/${writeRunArtifacts ? 'report.html' : 'summary.json'}) | ${s.verdict.toUpperCase()} | ${mib(s.metrics.peakRssBytes)} | ${Math.round(s.metrics.throughputEventsPerSec)} | ${s.metrics.events.generated} | ${s.metrics.events.logged} | ${s.metrics.events.silentLoss} | ${s.metrics.oomKills} | ${s.assertions.filter((a) => !a.ok).map((a) => a.name).join('; ') || '-'} |`),
  ...failedRuns.map((f) => `| ${f} | ERROR | | | | | | | did not produce a summary |`),
  '',
  ...(gaps.length ? ['Gaps:', ...gaps.map((g) => `- ${g}`), ''] : []),
];
writeFileSync(join(art, 'summary.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
process.exit(failing ? 1 : 0);
