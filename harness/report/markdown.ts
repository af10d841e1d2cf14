// summary.md: one paragraph a CI job can append to its job summary ($GITHUB_STEP_SUMMARY).
import type { RunSummary } from '../run/run-scenario.ts';
import { assertionValue, daemonLabel, int, mib, ms, seconds } from './format.ts';
import { lossPhrase } from '../verdict/accounting.ts';

const code = (s: unknown) => `\`${String(s).replace(/`/g, "'")}\``;

export function toMarkdown(summary: RunSummary | null, dir: string): string {
  if (!summary) return `**NO VERDICT** for ${code(dir)}: the run wrote no summary.json (it was killed or failed before its verdict); see metrics.jsonl and report.html there.\n`;
  const s = summary;
  const m = s.metrics;
  const label = daemonLabel(s.daemon, s.policy);
  const icon = s.verdict === 'pass' ? '✅' : '❌';
  const failed = s.assertions.filter((a) => !a.ok);
  const rssBound = s.assertions.find((a) => a.name.startsWith('peak RSS'));
  const parts = [
    `${icon} **${s.verdict.toUpperCase()}** ${code(s.scenario)} with ${code(label)} (${seconds(s.durationMs)}${s.ended === 'completed' ? '' : `, ${s.ended}`}, seed ${s.seed}):`,
    `peak RSS ${mib(m.peakRssBytes)}${rssBound && typeof rssBound.limit === 'number' ? ` (bound ${mib(rssBound.limit)})` : ''},`,
    `${int(m.throughputEventsPerSec)} events/s logged,`,
    `${int(m.events.generated)} generated / ${int(m.events.logged)} logged / **${lossPhrase(m.events)}**,`,
    `kernel lost ${int(m.kernel.lost)} records, backlog wait ${ms(m.kernel.backlogWaitMs)}` +
      (m.kernel.longestAuditedOpMs == null ? '' : ` (longest op ${ms(m.kernel.longestAuditedOpMs)}, backlog_wait_time ${ms(m.kernel.backlogWaitTimeMs)})`) +
      `, OOM kills ${int(m.oomKills)};`,
    `${s.assertions.length - failed.length}/${s.assertions.length} assertions passed` +
      (failed.length ? `, failed: ${failed.map((a) => `${a.name} (${assertionValue(a, a.actual)} vs ${assertionValue(a, a.limit)})`).join('; ')}.` : '.'),
    `Kernel ${s.host?.kernel ?? 'n/a'}, cgroup ${s.host?.cgroup ?? 'n/a'}, ${s.daemon} ${s.host?.daemonVersion ?? ''}`.trim() + '.',
    `Details: ${code(`${dir}/report.html`)}.`,
  ];
  return `${parts.join(' ')}\n`;
}
