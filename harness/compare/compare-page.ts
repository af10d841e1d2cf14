// compare.html: the runs' curves overlaid on shared axes (one time grid for all), the table of
// medians and ratios, and links to each run's own report.
import { relative } from 'node:path';
import { applyBreaks, CHART_DEFS, RUN_COLORS, type Chart, type ChartSeries, type Mark, type PageData, type Shade } from '../report/charts.ts';
import { widenEnvelope } from '../report/envelope.ts';
import { esc, renderPage } from '../report/page.ts';
import type { RunData } from '../report/run-data.ts';
import { firstScreen } from '../report/first-screen.ts';
import type { CompareGroup, CompareRun } from './compare-math.ts';
import { COLUMNS } from './compare-table.ts';

export function comparePageData(runs: RunData[], labels: string[]): PageData {
  const widthMs = Math.max(100, ...runs.map((r) => r.envelope.widthMs));
  const widened = runs.map((r) => ({ ...r, envelope: widenEnvelope(r.envelope, widthMs) }));
  const longest = widened.reduce((a, r) => (r.envelope.x.length > a.length ? r.envelope.x : a), [] as number[]);
  const pad = (a: Array<number | null> | undefined) => {
    const out = (a ?? []).slice(0, longest.length);
    while (out.length < longest.length) out.push(null);
    return out;
  };
  const groupOrder = [...new Set(labels)];
  const colorOf = (i: number) => RUN_COLORS[groupOrder.indexOf(labels[i]) % RUN_COLORS.length];
  const charts: Chart[] = CHART_DEFS.map((def) => {
    const series: ChartSeries[] = [];
    let note: string | undefined;
    widened.forEach((r, i) => {
      const c = def.build(r);
      // the run's data lines (not its limits): one colour per daemon, dashed for a second line
      c.series.filter((s) => s.kind === 'envelope').forEach((s, j) => {
        const named = c.series.filter((x) => x.kind === 'envelope').length > 1;
        series.push({ label: `${labels[i]}${named ? ` ${s.label}` : ''}`, color: colorOf(i), kind: 'envelope', min: pad(s.min), max: pad(s.max), dash: j > 0,
          ...(s.breakAt?.length ? { breakAt: s.breakAt } : {}) });
      });
      if (c.note && !c.series.some((s) => s.kind === 'envelope' && s.max?.some((v) => v !== null))) note = [note, `${labels[i]}: ${c.note}`].filter(Boolean).join('; ');
    });
    return { id: def.id, title: def.title, unit: def.unit, caption: def.caption, series, note };
  });
  const shades: Shade[] = [];
  const marks: Mark[] = [];
  widened.forEach((r, i) => {
    for (const f of r.faults) shades.push({ ...f, label: `${labels[i]}: ${f.label}`, color: 'rgba(255, 165, 0, 0.14)' });
    for (const m of r.oomKills) marks.push({ ...m, label: `${labels[i]}: ${m.label}`, color: colorOf(i), dash: false });
    for (const m of r.restarts) marks.push({ ...m, label: `${labels[i]}: ${m.label}`, color: colorOf(i), dash: true });
  });
  return applyBreaks({ x: longest, widthMs, charts, shades, marks, envelopeBands: false });
}

export function renderComparePage(o: { scenario: string; outDir: string; runs: CompareRun[]; groups: CompareGroup[]; data: RunData[] }): string {
  const labels = o.runs.map((r) => (o.groups.find((g) => g.label === r.label)!.runs > 1 ? `${r.label} #${r.round + 1}` : r.label));
  const ratio = (v: number | null) => (v === null ? 'n/a' : `x${v.toFixed(2)}`);
  const groupRows = o.groups.map((g) => `<tr><td>${esc(g.label)}</td><td class="${g.passes === g.runs ? 'ok' : 'notok'}">${g.passes}/${g.runs} pass</td>` +
    COLUMNS.map((c) => `<td class="num">${esc(c.fmt(g.medians[c.key]))} <span class="muted">${esc(ratio(g.ratios[c.key]))}</span></td>`).join('') + '</tr>').join('');
  const runRows = o.runs.map((r, i) => {
    const link = relative(o.outDir, `${r.dir}/report.html`);
    return `<tr class="${r.verdict === 'pass' ? '' : 'bad'}"><td>${esc(labels[i])}</td><td class="${r.verdict === 'pass' ? 'ok' : 'notok'}">${esc(r.verdict.toUpperCase())}</td>` +
      COLUMNS.map((c) => `<td class="num">${esc(c.fmt(r.figures[c.key]))}</td>`).join('') +
      `<td>${esc(r.failed.join('; '))}</td><td><a href="${esc(link)}">report</a></td><td class="muted">${esc(r.kernel ?? '')}</td></tr>`;
  }).join('');
  const head = COLUMNS.map((c) => `<th>${esc(c.title)}</th>`).join('');
  const top = `
<h1>${esc(o.scenario)}: ${esc(o.groups.map((g) => g.label).join(' vs '))}</h1>
<p class="muted">${o.runs.length} run(s); medians per daemon, ratios against ${esc(o.groups[0]?.label ?? '')}</p>
<div class="cards" id="answers">${o.data.map((d, i) => `<section class="card" data-run="${esc(labels[i])}"><h3>${esc(labels[i])} <span class="verdict ${esc(d.summary?.verdict ?? 'unknown')}">${esc((d.summary?.verdict ?? 'unknown').toUpperCase())}</span></h3>
${firstScreen(d.summary, `accounting-${i}`, true)}</section>`).join('\n')}</div>
<h2>Medians</h2>
<table id="medians"><tr><th>daemon</th><th>verdicts</th>${head}</tr>${groupRows}</table>
<h2>Runs</h2>
<table id="runs"><tr><th>run</th><th>verdict</th>${head}<th>failed</th><th></th><th>kernel</th></tr>${runRows}</table>`;
  return renderPage({ title: `compare ${o.scenario}`, top, bottom: '', data: comparePageData(o.data, labels) });
}
