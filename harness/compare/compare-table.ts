// The terminal table of a comparison: each run, then per daemon the medians with their ratio
// against the first daemon.
import { int, mib, ms } from '../report/format.ts';
import type { CompareFigures, CompareGroup, CompareRun } from './compare-math.ts';

export const COLUMNS: Array<{ key: keyof CompareFigures; title: string; fmt: (v: number | null) => string }> = [
  { key: 'peakRssBytes', title: 'peak RSS', fmt: mib },
  { key: 'eventsPerSec', title: 'events/s', fmt: int },
  { key: 'kernelLost', title: 'kernel lost', fmt: int },
  { key: 'silentLoss', title: 'silent loss', fmt: int },
  { key: 'backlogWaitMs', title: 'backlog wait', fmt: ms },
  { key: 'oomKills', title: 'OOM kills', fmt: int },
];

const ratioText = (r: number | null) => (r === null ? '(n/a)' : `(x${r >= 100 ? r.toFixed(0) : r.toFixed(2)})`);

export function table(rows: string[][], rightAlignFrom = 2): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

export function compareTable(runs: CompareRun[], groups: CompareGroup[]): string {
  const out: string[] = [];
  const repeated = groups.some((g) => g.runs > 1);
  if (repeated) {
    const rows = [['run', 'verdict', ...COLUMNS.map((c) => c.title)]];
    for (const r of runs) rows.push([`${r.label} #${r.round + 1}`, r.verdict.toUpperCase(), ...COLUMNS.map((c) => c.fmt(r.figures[c.key]))]);
    out.push('runs (in the order they ran):', table(rows), '');
  }
  const base = groups[0]?.label ?? '';
  const head = ['daemon', 'verdict', ...COLUMNS.map((c) => (repeated ? `median ${c.title}` : c.title))];
  const rows = [head];
  for (const g of groups) {
    const verdict = g.runs === 1 ? (g.passes ? 'PASS' : 'FAIL') : `${g.passes}/${g.runs} pass`;
    rows.push([g.label, verdict, ...COLUMNS.map((c) => `${c.fmt(g.medians[c.key])} ${ratioText(g.ratios[c.key])}`)]);
  }
  out.push(table(rows), `(ratios against ${base}${repeated ? ', medians over repeats' : ''})`);
  const failures = runs.filter((r) => r.failed.length);
  if (failures.length) {
    out.push('', 'failed assertions:');
    for (const r of failures) out.push(`  ${r.label}${repeated ? ` #${r.round + 1}` : ''}: ${r.failed.join('; ')}`);
  }
  return `${out.join('\n')}\n`;
}
