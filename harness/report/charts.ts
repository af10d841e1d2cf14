// The plots of a run report as plain data for the page: one shared x axis (seconds), and per
// chart a list of series. An `envelope` series carries per-bucket min and max (the page draws
// the max as the line and shades down to the min, so a one-sample spike in a 25-second bucket
// still shows); `line` is a plain line; `limit` a dashed bound (a constant or a column).
import type { Envelope } from './envelope.ts';
import type { Column, RunData } from './run-data.ts';

export type Unit = 'bytes' | 'count' | 'ms' | 'rate';

export interface ChartSeries {
  label: string;
  color: string;
  kind: 'envelope' | 'line' | 'limit';
  /** envelope */
  min?: Array<number | null>;
  max?: Array<number | null>;
  /** line / limit from a column */
  values?: Array<number | null>;
  /** limit: a constant over the whole run */
  constant?: number;
  /** dashed line (limits are always dashed) */
  dash?: boolean;
  /** seconds where this series must not be joined across (the daemon process changed) */
  breakAt?: number[];
}

export interface Chart {
  id: string;
  title: string;
  unit: Unit;
  /** one sentence under the plot: what it shows and what to look for */
  caption: string;
  series: ChartSeries[];
  /** said under the plot when the data is partial or absent */
  note?: string;
}

export interface Shade { start: number; end: number | null; label: string; color: string }
export interface Mark { t: number; label: string; color: string; dash: boolean }

/** What the page script receives (as JSON inside the page). */
export interface PageData {
  x: number[];
  /** bucket width in ms: above the sampling period the lines are max envelopes */
  widthMs: number;
  charts: Chart[];
  shades: Shade[];
  marks: Mark[];
  /** false: envelope series draw only their max line (overlays of many runs) */
  envelopeBands?: boolean;
}

export const COLORS = {
  main: '#1f77b4', second: '#2ca02c', limit: '#d62728', hwm: '#ff7f0e', lwm: '#9467bd', third: '#17becf', baseline: '#7f7f7f',
  fault: 'rgba(255, 165, 0, 0.18)', oom: '#d62728', restart: '#8c564b',
};

/** Colours for overlaid runs, distinguishable and in a fixed order. */
export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const env = (e: Envelope, c: Column, label: string, color: string, breakAt?: number[]): ChartSeries =>
  ({ label, color, kind: 'envelope', min: e.columns[c].min, max: e.columns[c].max, ...(breakAt?.length ? { breakAt } : {}) });
const has = (e: Envelope, c: Column) => e.columns[c].max.some((v) => v !== null);
const constantOf = (e: Envelope, c: Column): number | null => {
  let v: number | null = null;
  for (const x of e.columns[c].max) if (x !== null) v = v === null ? x : Math.max(v, x);
  return v;
};

export interface ChartDef {
  id: string;
  title: string;
  unit: Unit;
  caption: string;
  build(d: RunData): Chart;
}

export const CHART_DEFS: ChartDef[] = [
  {
    id: 'rss', title: 'Daemon memory (RSS)', unit: 'bytes',
    caption: "Resident memory of the daemon process, and the bytes the kernel has queued on its audit socket that it has not read yet (memory the daemon's bound does not cover), with the bound its peak-RSS assertion allows: a bounded daemon levels off under the red line, a runaway queue climbs through it. The line breaks where the daemon process changed (a restart) and where the sampler had no data.",
    build(d) {
      const e = d.envelope;
      const series: ChartSeries[] = [env(e, 'rss', 'RSS', COLORS.main, d.pidBreaks), env(e, 'sockUnread', 'socket unread', COLORS.third, d.pidBreaks)];
      const a = d.summary?.assertions.find((x) => x.name.startsWith('peak RSS'));
      if (a && typeof a.limit === 'number') series.push({ label: 'bound (peak RSS limit)', color: COLORS.limit, kind: 'limit', constant: a.limit });
      if (d.baseline?.peakRssBytes != null) series.push({ label: `baseline peak (${d.baseline.name})`, color: COLORS.baseline, kind: 'limit', constant: d.baseline.peakRssBytes });
      const notes = [has(e, 'rss') ? '' : 'no RSS samples (the daemon never ran?)', has(e, 'sockUnread') ? '' : 'no socket samples in metrics.jsonl: the unread-bytes line is empty'].filter(Boolean);
      return { ...pick(this), series, note: notes.length ? notes.join('; ') : undefined };
    },
  },
  {
    id: 'cgroup', title: 'Memory cgroup usage', unit: 'bytes',
    caption: "Memory charged to the run's cgroup against its limit, split into anonymous memory (the daemon's and bystanders' heaps) and page cache (the log's written pages). The kernel reclaims page cache before it OOM-kills: usage at the limit made of page cache is not an OOM risk; anonymous memory reaching the limit is where the OOM killer fires.",
    build(d) {
      const e = d.envelope;
      const series: ChartSeries[] = [env(e, 'cgUsage', 'cgroup usage', COLORS.main), env(e, 'cgAnon', 'anon', COLORS.hwm), env(e, 'cgFile', 'page cache', COLORS.third)];
      const limit = constantOf(e, 'cgLimit');
      if (limit !== null) series.push({ label: 'cgroup limit', color: COLORS.limit, kind: 'limit', values: e.columns.cgLimit.max });
      const notes = [has(e, 'cgUsage') ? '' : 'no cgroup samples', !has(e, 'cgUsage') || has(e, 'cgAnon') ? '' : 'this run did not sample memory.stat: no anon / page-cache split'].filter(Boolean);
      return { ...pick(this), series, note: notes.length ? notes.join('; ') : undefined };
    },
  },
  {
    id: 'queue', title: 'Daemon queue depth (records)', unit: 'count',
    caption: "Records held in the daemon's own queue between reading the kernel and writing the log, with its high- and low-water marks: under `block` the depth stops at the HWM and reading pauses until it drains to the LWM.",
    build(d) {
      const e = d.envelope;
      const series: ChartSeries[] = [env(e, 'qRecords', 'queue depth', COLORS.main, d.pidBreaks)];
      if (has(e, 'qHwm')) series.push({ label: 'HWM', color: COLORS.hwm, kind: 'limit', values: e.columns.qHwm.max });
      if (has(e, 'qLwm')) series.push({ label: 'LWM', color: COLORS.lwm, kind: 'limit', values: e.columns.qLwm.max });
      return { ...pick(this), series, note: has(e, 'qRecords') ? undefined : `${d.label} publishes no queue statistics; nothing to plot here` };
    },
  },
  {
    id: 'backlog', title: 'Kernel audit backlog (records)', unit: 'count',
    caption: "Records waiting in the kernel's audit queue for the daemon to read, against backlog_limit: at the limit, audited processes sleep (backlog wait) and then records are lost.",
    build(d) {
      const e = d.envelope;
      const series: ChartSeries[] = [env(e, 'backlog', 'backlog', COLORS.main)];
      if (has(e, 'backlogLimit')) series.push({ label: 'backlog_limit', color: COLORS.limit, kind: 'limit', values: e.columns.backlogLimit.max });
      return { ...pick(this), series, note: has(e, 'backlog') ? undefined : 'no kernel audit status samples' };
    },
  },
  {
    id: 'lost', title: 'Kernel lost records (since the run started)', unit: 'count',
    caption: "The kernel's `lost` counter since the first sample: every record the kernel dropped (backlog overflow, rate limit, retry-queue overflow); it is accounted loss, never silent.",
    build(d) {
      return { ...pick(this), series: [env(d.envelope, 'lost', 'kernel lost', COLORS.limit)], note: has(d.envelope, 'lost') ? undefined : 'no kernel audit status samples' };
    },
  },
  {
    id: 'wait', title: 'Backlog wait of audited processes (cumulative ms)', unit: 'ms',
    caption: 'Total time audited processes slept in the kernel waiting for room in the backlog (backlog_wait_time_actual since the first sample): the price the workload pays when the daemon pushes back.',
    build(d) {
      return { ...pick(this), series: [env(d.envelope, 'waitMs', 'backlog wait', COLORS.hwm)], note: has(d.envelope, 'waitMs') ? undefined : 'no kernel audit status samples' };
    },
  },
  {
    id: 'rate', title: 'Events per second: generated vs logged', unit: 'rate',
    caption: 'Audited operations the loads performed per second against events the daemon wrote to its log per second: a gap that persists is a daemon falling behind.',
    build(d) {
      const e = d.envelope;
      const series: ChartSeries[] = [env(e, 'genRate', 'generated', COLORS.main)];
      let note: string | undefined;
      if (has(e, 'loggedRecRate') && d.recordsPerEvent && d.recordsPerEvent > 0) {
        const k = d.recordsPerEvent;
        const scale = (a: Array<number | null>) => a.map((v) => (v === null ? null : v / k));
        series.push({ label: 'logged', color: COLORS.second, kind: 'envelope', min: scale(e.columns.loggedRecRate.min), max: scale(e.columns.loggedRecRate.max), ...(d.pidBreaks.length ? { breakAt: d.pidBreaks } : {}) });
        note = `logged events/s = the daemon's written records/s ÷ ${k.toFixed(2)} records per event (its written records, summed across restarts, over the logged events)`;
      } else if (d.summary) {
        series.push({ label: 'logged (mean over the load)', color: COLORS.second, kind: 'limit', constant: d.summary.metrics.throughputEventsPerSec });
        note = `${d.label} publishes no live write counter: the logged line is the run's mean, from its log`;
      }
      if (d.baseline?.eventsPerSec != null) series.push({ label: `baseline logged (${d.baseline.name})`, color: COLORS.baseline, kind: 'limit', constant: d.baseline.eventsPerSec });
      return { ...pick(this), series, note };
    },
  },
];

function pick(def: ChartDef): Omit<Chart, 'series'> {
  return { id: def.id, title: def.title, unit: def.unit, caption: def.caption };
}

export function runShades(d: RunData, color = COLORS.fault): Shade[] {
  return d.faults.map((f) => ({ ...f, color }));
}

export function runMarks(d: RunData, oomColor = COLORS.oom, restartColor = COLORS.restart): Mark[] {
  return [
    ...d.oomKills.map((m) => ({ ...m, color: oomColor, dash: false })),
    ...d.restarts.map((m) => ({ ...m, color: restartColor, dash: true })),
  ];
}

/** A bound far above everything the data reached (an unbounded queue's "HWM" of 2^31) would
 *  flatten the data to the floor: such a limit is left off the plot and named in the note. */
export function dropOffScaleLimits(c: Chart, factor = 20): Chart {
  let top = 0;
  for (const s of c.series) if (s.kind === 'envelope') for (const v of s.max ?? []) if (v !== null && v > top) top = v;
  if (top <= 0) return c;
  const off: string[] = [];
  const series = c.series.filter((s) => {
    if (s.kind !== 'limit') return true;
    const vals = s.values ? s.values.filter((v): v is number => v !== null) : s.constant !== undefined ? [s.constant] : [];
    const v = vals.length ? Math.min(...vals) : null;
    if (v !== null && v > top * factor) { off.push(`${s.label} ${Number(v.toPrecision(3)).toLocaleString('en-US')}`); return false; }
    return true;
  });
  if (!off.length) return c;
  const note = `off the scale (more than ${factor}x the data's maximum): ${off.join(', ')}`;
  return { ...c, series, note: c.note ? `${c.note}; ${note}` : note };
}

export function runPageData(d: RunData): PageData {
  return applyBreaks({
    x: d.envelope.x, widthMs: d.envelope.widthMs,
    charts: CHART_DEFS.map((def) => dropOffScaleLimits(def.build(d))),
    shades: runShades(d), marks: runMarks(d),
  });
}

/** Puts each series' breaks into the data: one extra x point per break time, null in the series
 *  that break there (uPlot then leaves a gap, as it does for every missing sample) and the
 *  previous point's value in the others (their lines go on unchanged). */
export function applyBreaks(p: PageData): PageData {
  const times = [...new Set(p.charts.flatMap((c) => c.series.flatMap((s) => s.breakAt ?? [])))]
    .filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
  if (!times.length || !p.x.length) return p;
  // every old point keeps its place; each break goes right after the last point at or before it
  const x: number[] = [];
  const from: Array<{ old: number; brk: number | null }> = [];
  const EPS = 1e-6;
  let j = 0;
  while (j < times.length && times[j] < p.x[0]) { x.push(p.x[0] - EPS * (times.length - j)); from.push({ old: -1, brk: times[j] }); j++; }
  for (let i = 0; i < p.x.length; i++) {
    x.push(p.x[i]);
    from.push({ old: i, brk: null });
    const next = i + 1 < p.x.length ? p.x[i + 1] : Infinity;
    while (j < times.length && times[j] < next) {
      x.push(Math.max(times[j], x[x.length - 1] + EPS));
      from.push({ old: i, brk: times[j] });
      j++;
    }
  }
  const remap = (a: Array<number | null> | undefined, breaks: Set<number>): Array<number | null> | undefined =>
    a && from.map((f) => (f.brk !== null && breaks.has(f.brk) ? null : f.old >= 0 ? (a[f.old] ?? null) : null));
  const charts = p.charts.map((c) => ({
    ...c,
    series: c.series.map((s) => {
      const breaks = new Set(s.breakAt ?? []);
      return { ...s, min: remap(s.min, breaks), max: remap(s.max, breaks), values: remap(s.values, breaks) };
    }),
  }));
  return { ...p, x, charts };
}
