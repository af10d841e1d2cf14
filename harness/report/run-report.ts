// report.html of one run: the verdict and its assertions, the time series, the scenario as run
// (seed included) and the host it ran on.
import { runPageData } from './charts.ts';
import { firstScreen } from './first-screen.ts';
import { assertionValue, int, mib, ms, seconds } from './format.ts';
import { esc, renderPage } from './page.ts';
import type { RunData } from './run-data.ts';

export function renderRunReport(d: RunData): string {
  const s = d.summary;
  const verdict = s?.verdict ?? 'unknown';
  const scenarioName = s?.scenario ?? String(d.scenario?.name ?? 'unknown scenario');
  const title = `${verdict.toUpperCase()} ${scenarioName} with ${d.label}`;
  const seed = s?.seed ?? d.scenario?.seed;

  const facts: Array<[string, string]> = [];
  if (s) {
    const m = s.metrics;
    facts.push(
      ['duration', `${seconds(s.durationMs)} (${s.ended})`],
      ['events', `duplicates ${int(m.events.duplicates)}, incomplete ${int(m.events.incomplete)} (the parts of the generated events are in the bar above)`],
      ['throughput', `${int(m.throughputEventsPerSec)} logged events/s`],
      ['memory', `peak RSS ${mib(m.peakRssBytes)} (idle ${mib(m.idleRssBytes)}), cgroup peak ${mib(m.cgroupPeakBytes)}, OOM kills ${int(m.oomKills)}`],
      ['kernel', `lost ${int(m.kernel.lost)}, backlog max ${int(m.kernel.backlogMax)}, backlog wait ${ms(m.kernel.backlogWaitMs)}` +
        (m.kernel.longestAuditedOpMs == null ? '' : `, longest audited op ${ms(m.kernel.longestAuditedOpMs)} (backlog_wait_time ${ms(m.kernel.backlogWaitTimeMs)})`)],
    );
  }

  const top = `
<h1><span class="verdict ${esc(verdict)}">${esc(verdict.toUpperCase())}</span>${esc(scenarioName)} with ${esc(d.label)}</h1>
${firstScreen(s)}
<p class="muted">seed ${esc(seed ?? 'unknown')}${s ? ` · auid ${esc(s.auid)}` : ''} · ${esc(d.samples)} samples over ${esc(seconds(d.spanSec * 1000))} · ${esc(d.dir)}</p>
${problemsList(d)}
<h2>Assertions</h2>
${assertionTable(d)}
${facts.length ? `<h2>Figures</h2>\n<table>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>` : ''}
${faultTable(d)}
${oomVictims(d)}`;

  const bottom = `
<h2>Host</h2>
${hostTable(d)}
<h2>Scenario as run</h2>
${d.scenarioYaml ? `<pre>${esc(d.scenarioYaml)}</pre>` : '<p class="note">scenario.yaml is missing from the run folder</p>'}
${eventsTable(d)}`;

  return renderPage({ title, top, bottom, data: runPageData(d) });
}

function problemsList(d: RunData): string {
  const items = [...d.problems, ...(d.summary?.warnings ?? [])];
  return items.length ? `<ul class="problems">${items.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '';
}

function assertionTable(d: RunData): string {
  const as = d.summary?.assertions;
  if (!as) return '<p class="note">no summary.json: the run did not reach its verdict</p>';
  if (!as.length) return '<p class="muted">the scenario sets no expectations</p>';
  const rows = as.map((a) => `<tr class="${a.ok ? '' : 'bad'}"><td class="${a.ok ? 'ok' : 'notok'}">${a.ok ? 'pass' : 'FAIL'}</td>` +
    `<td>${esc(a.name)}</td><td class="num">${esc(assertionValue(a, a.actual))}</td><td class="num">${esc(assertionValue(a, a.limit))}</td>` +
    `<td>${esc(a.detail ?? '')}</td></tr>`).join('');
  return `<table id="assertions"><tr><th></th><th>assertion</th><th>actual</th><th>limit</th><th>detail</th></tr>${rows}</table>`;
}

function hostTable(d: RunData): string {
  const h = d.summary?.host as (Record<string, unknown> & { kernel?: string; hz?: number; cgroup?: string | null; daemonVersion?: string; memoryLimitBytes?: number; memTotalBytes?: number }) | undefined;
  const rows: Array<[string, string]> = [];
  if (h) {
    rows.push(['kernel', `${h.kernel ?? 'n/a'}${h.hz ? ` (HZ=${h.hz})` : ''}`]);
    if (typeof h.memTotalBytes === 'number') rows.push(['memory', mib(h.memTotalBytes)]);
    rows.push(['MemAvailable at start', mib(d.memAvailableStart)]);
    rows.push(['cgroup', `${h.cgroup ?? 'n/a'}, memory limit of the run's cgroup ${mib(h.memoryLimitBytes)}`]);
    rows.push(['daemon', `${d.label} ${h.daemonVersion ?? ''}`.trim()]);
    for (const [k, v] of Object.entries(h)) {
      if (!['kernel', 'hz', 'cgroup', 'daemonVersion', 'memoryLimitBytes', 'memTotalBytes'].includes(k)) rows.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  } else {
    rows.push(['MemAvailable at start', mib(d.memAvailableStart)]);
  }
  return `<table id="host">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function oomVictims(d: RunData): string {
  const v = d.summary?.oomVictims as Array<Record<string, unknown>> | undefined;
  if (!v?.length) return '';
  return `<h2>OOM-killer victims</h2><table>${v.slice(0, 50).map((x) => `<tr><td>${esc(JSON.stringify(x))}</td></tr>`).join('')}</table>`;
}

function eventsTable(d: RunData): string {
  const e = Object.entries(d.eventCounts).sort((a, b) => b[1] - a[1]);
  if (!e.length) return '';
  return `<h2>Events in metrics.jsonl</h2><table>${e.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${esc(n)}</td></tr>`).join('')}</table>`;
}

function faultTable(d: RunData): string {
  const rec = (d.summary?.recovery ?? []) as Array<{ kind: string; index: number; occurrence: number; startMs: number; endMs: number | null; recoveryMs: number | null;
    saturatedBefore: boolean; lostDuring: number; lostAfter: number; rssPeakDuringBytes: number | null; backlogPeakDuring: number | null; queuePeakDuring: number | null }>;
  if (rec.length) {
    const rows = rec.map((r) => `<tr><td>${esc(r.kind)}${r.occurrence ? ` #${r.occurrence + 1}` : ''}</td><td class="num">${esc(seconds(r.startMs))}</td>` +
      `<td class="num">${r.endMs === null ? 'never ended' : esc(seconds(r.endMs))}</td>` +
      `<td class="num">${r.recoveryMs === null ? (r.saturatedBefore ? 'saturated before' : 'did not recover') : esc(ms(r.recoveryMs))}</td>` +
      `<td class="num">${esc(int(r.lostDuring))}</td><td class="num">${esc(int(r.lostAfter))}</td><td class="num">${esc(mib(r.rssPeakDuringBytes))}</td>` +
      `<td class="num">${esc(int(r.backlogPeakDuring))}</td><td class="num">${esc(int(r.queuePeakDuring))}</td></tr>`).join('');
    return `<h2>Faults and recovery</h2><table id="faults"><tr><th>fault</th><th>start</th><th>end</th><th>recovery</th><th>lost during</th><th>lost after</th>` +
      `<th>RSS peak during</th><th>backlog peak</th><th>queue peak</th></tr>${rows}</table>`;
  }
  if (!d.faults.length) return '';
  return `<h2>Faults</h2><table id="faults"><tr><th>fault</th><th>start</th><th>end</th></tr>${d.faults.map((f) =>
    `<tr><td>${esc(f.label)}</td><td class="num">${esc(f.start.toFixed(1))} s</td><td class="num">${f.end === null ? 'never ended' : `${esc(f.end.toFixed(1))} s`}</td></tr>`).join('')}</table>`;
}
