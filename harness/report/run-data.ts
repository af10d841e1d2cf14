// Everything a report shows about one run, read from its results folder: summary.json, the
// scenario as run, and metrics.jsonl streamed once into time-aligned envelopes (bounded memory
// and bounded page size, however long the run). Missing pieces (a run killed before its summary)
// leave gaps the page says out loud instead of failing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { iterateMetrics } from '../metrics/metrics-reader.ts';
import { isEvent, type MetricsEvent, type MetricsSample } from '../metrics/metrics-types.ts';
import type { RunSummary } from '../run/run-scenario.ts';
import { EnvelopeTable, type Envelope } from './envelope.ts';
import { daemonLabel } from './format.ts';
import { DEFAULT_BASELINE_DIR, defaultBaselineName } from '../baseline/baseline.ts';

/** The columns taken from each sample (see sampleValues). */
export const COLUMNS = [
  'rss', 'hwm', 'cgUsage', 'cgLimit', 'cgAnon', 'cgFile', 'qRecords', 'qHwm', 'qLwm', 'backlog', 'backlogLimit',
  'lost', 'waitMs', 'genRate', 'loggedRecRate', 'cpu', 'memAvailable', 'sockUnread',
] as const;
export type Column = (typeof COLUMNS)[number];

export interface Marker {
  /** seconds since the run started */
  t: number;
  label: string;
}

export interface FaultWindow {
  start: number;
  /** null: the fault never ended before the metrics did (drawn to the end) */
  end: number | null;
  label: string;
}

/** The baseline saved for this scenario and daemon (results/baselines/), for the overlay. */
export interface BaselineOverlay {
  name: string;
  peakRssBytes: number | null;
  eventsPerSec: number | null;
}

export interface RunData {
  dir: string;
  /** tsauditd:block, auditd, ... */
  label: string;
  summary: RunSummary | null;
  scenarioYaml: string | null;
  /** parsed scenario.yaml (as run); null when missing or unreadable */
  scenario: Record<string, unknown> | null;
  envelope: Envelope;
  faults: FaultWindow[];
  oomKills: Marker[];
  restarts: Marker[];
  /** seconds where the daemon process changed (restart, crash): its own series break there */
  pidBreaks: number[];
  baseline: BaselineOverlay | null;
  /** events of other kinds, counted by name */
  eventCounts: Record<string, number>;
  samples: number;
  /** seconds from the first to the last sample */
  spanSec: number;
  /** MemAvailable at the first sample, bytes */
  memAvailableStart: number | null;
  /** daemon records written per logged event (to turn the daemon's written-records rate into events/s) */
  recordsPerEvent: number | null;
  truncatedTail: boolean;
  problems: string[];
}

// Markers are for eyes: a run with thousands of OOM kills draws the first few hundred.
const MAX_MARKERS = 500;
// cgroup v1 reports "no limit" as a page-rounded 2^63.
const NO_LIMIT = 2 ** 60;

export interface ReadRunOptions {
  capacity?: number;
  /** where saved baselines live (default results/baselines); null: no overlay */
  baselineDir?: string | null;
}

export async function readRunData(dir: string, opts: ReadRunOptions = {}): Promise<RunData> {
  const problems: string[] = [];
  const summary = readJson<RunSummary>(join(dir, 'summary.json'), problems);
  let scenarioYaml: string | null = null;
  let scenario: Record<string, unknown> | null = null;
  if (existsSync(join(dir, 'scenario.yaml'))) {
    scenarioYaml = readFileSync(join(dir, 'scenario.yaml'), 'utf8');
    try {
      const v = parseYaml(scenarioYaml) as unknown;
      if (v && typeof v === 'object') scenario = v as Record<string, unknown>;
    } catch (err) {
      problems.push(`scenario.yaml: not YAML (${(err as Error).message.split('\n')[0]})`);
    }
  } else {
    problems.push('scenario.yaml is missing');
  }

  const table = new EnvelopeTable<Column>(COLUMNS, opts.capacity ?? 2048);
  const faults: FaultWindow[] = [];
  const openFaults: Array<FaultWindow & { key: string }> = [];
  const oomKills: Marker[] = [];
  const restarts: Marker[] = [];
  const pidBreaks: number[] = [];
  let lastPid: number | null = null;
  const eventCounts: Record<string, number> = {};
  let samples = 0;
  let first: MetricsSample | null = null;
  let prev: MetricsSample | null = null;
  let lastT = 0;
  let lastWritten: number | null = null;
  let writtenTotal = 0;
  const tail = { truncated: false };
  const metricsPath = join(dir, 'metrics.jsonl');
  if (existsSync(metricsPath)) {
    try {
      for await (const line of iterateMetrics(metricsPath, tail)) {
        if (isEvent(line)) {
          onEvent(line);
          continue;
        }
        const s = line;
        samples++;
        first ??= s;
        if (s.pid !== null && s.pid !== undefined) {
          if (lastPid !== null && s.pid !== lastPid) pidBreaks.push(s.t / 1000);
          lastPid = s.pid;
        }
        table.push(s.t, sampleValues(s, first, prev));
        const w = (s.daemon as { written?: unknown } | null)?.written;
        if (typeof w === 'number') {
          // a restarted daemon counts from 0 again: sum the increments across restarts
          writtenTotal += lastWritten !== null && w >= lastWritten ? w - lastWritten : w;
          lastWritten = w;
        }
        prev = s;
        lastT = Math.max(lastT, s.t);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  } else {
    problems.push('metrics.jsonl is missing');
  }
  for (const f of openFaults) faults.push({ start: f.start, end: null, label: f.label });
  // summary.json keeps the windows too: use them when metrics.jsonl has none (older or cut runs).
  if (!faults.length && Array.isArray(summary?.faults)) {
    for (const w of summary.faults) {
      faults.push({ start: w.startMs / 1000, end: w.endMs === null ? null : w.endMs / 1000, label: `${w.kind}${w.occurrence > 0 ? ` #${w.occurrence + 1}` : ''}` });
    }
  }
  faults.sort((a, b) => a.start - b.start);
  if (tail.truncated) problems.push('the last line of metrics.jsonl was cut off (the run was killed mid-write) and was skipped');

  function onEvent(e: MetricsEvent): void {
    const t = e.t / 1000;
    eventCounts[e.event] = (eventCounts[e.event] ?? 0) + 1;
    if (e.event === 'fault-start' || e.event === 'fault-end') {
      // A fault window is named by kind, index in the scenario and occurrence (repeats); a start
      // pairs with the end of the same window.
      const key = e.id !== undefined ? String(e.id) : [e.kind ?? e.fault ?? e.name, e.index, e.occurrence].map((x) => String(x ?? '')).join('#');
      const occ = typeof e.occurrence === 'number' && e.occurrence > 0 ? ` #${e.occurrence + 1}` : '';
      const label = `${String(e.kind ?? e.fault ?? e.name ?? e.id ?? 'fault')}${occ}`;
      if (e.event === 'fault-start') {
        openFaults.push({ key, start: t, end: null, label });
      } else {
        const i = openFaults.findIndex((f) => f.key === key);
        const open = i >= 0 ? openFaults.splice(i, 1)[0] : openFaults.shift();
        if (open) faults.push({ start: open.start, end: t, label: open.label });
        else faults.push({ start: 0, end: t, label });
      }
    } else if (e.event === 'oom-kill' && oomKills.length < MAX_MARKERS) {
      const who = [e.name, e.pid].filter((x) => x !== undefined).join(' ');
      oomKills.push({ t, label: `OOM kill${who ? `: ${who}` : ''}${e.ours === true ? " (the daemon's cgroup)" : ''}` });
    } else if (e.event === 'daemon-pid' && e.previous !== null && e.previous !== undefined && restarts.length < MAX_MARKERS) {
      // the first daemon-pid (previous null) is the start, not a restart
      restarts.push({ t, label: e.pid ? `daemon restart: pid ${String(e.previous)} -> ${String(e.pid)}` : `daemon gone (pid ${String(e.previous)})` });
      pidBreaks.push(t);
    }
  }

  const m = summary?.metrics;
  if (m && m.oomKills > oomKills.length && oomKills.length < MAX_MARKERS) {
    problems.push(`${m.oomKills} OOM kill(s) counted for the run, ${oomKills.length} on the timeline: the kernel's report of the others is not in metrics.jsonl (it came after sampling stopped?)`);
  }
  const recordsPerEvent = lastWritten !== null && writtenTotal > 0 && m && m.events.logged > 0 ? writtenTotal / m.events.logged : null;
  return {
    dir,
    label: summary ? daemonLabel(summary.daemon, summary.policy) : labelFromScenario(scenario),
    summary, scenarioYaml, scenario,
    envelope: fillJitter(table.toEnvelope()),
    faults, oomKills, restarts, eventCounts, samples,
    pidBreaks: [...new Set(pidBreaks.map((x) => Math.round(x * 1000) / 1000))].sort((a, b) => a - b),
    baseline: summary && opts.baselineDir !== null ? readBaselineOverlay(summary, opts.baselineDir ?? DEFAULT_BASELINE_DIR) : null,
    spanSec: first ? (lastT - first.t) / 1000 : 0,
    memAvailableStart: first?.memAvailable ?? null,
    recordsPerEvent,
    truncatedTail: tail.truncated,
    problems,
  };
}

/** One sample's plotted values. Kernel counters are machine-wide totals: shown as the change
 *  since the run's first sample. Rates come from consecutive samples. */
export function sampleValues(s: MetricsSample, first: MetricsSample, prev: MetricsSample | null): Partial<Record<Column, number | null>> {
  const q = (s.daemon as { queue?: { records?: number; hwm?: number; lwm?: number } } | null)?.queue;
  const written = (s.daemon as { written?: unknown } | null)?.written;
  const prevWritten = (prev?.daemon as { written?: unknown } | null)?.written;
  let loggedRecRate: number | null = null;
  if (prev && typeof written === 'number' && typeof prevWritten === 'number' && s.t > prev.t && written >= prevWritten) {
    loggedRecRate = ((written - prevWritten) * 1000) / (s.t - prev.t);
  }
  const limit = s.cgroup?.limit;
  return {
    rss: s.rss,
    hwm: s.hwm,
    cgUsage: s.cgroup?.usage ?? null,
    cgLimit: limit !== null && limit !== undefined && limit < NO_LIMIT ? limit : null,
    cgAnon: s.cgroup?.anon ?? null,
    cgFile: s.cgroup?.file ?? null,
    sockUnread: s.socket?.rmem ?? null,
    qRecords: q?.records ?? null,
    qHwm: q?.hwm ?? null,
    qLwm: q?.lwm ?? null,
    backlog: s.kernel?.backlog ?? null,
    backlogLimit: s.kernel?.backlogLimit ?? null,
    lost: s.kernel && first.kernel ? s.kernel.lost - first.kernel.lost : null,
    waitMs: s.kernel && first.kernel ? s.kernel.waitActualMs - first.kernel.waitActualMs : null,
    genRate: s.load?.eventsPerSec ?? null,
    loggedRecRate,
    cpu: s.cpu,
    memAvailable: s.memAvailable,
  };
}

// The sampler ticks every 100 ms with some jitter, so a tick can land one bucket further on and
// leave a single empty 100 ms bucket between two full ones. That is not missing data: it takes
// the previous bucket's values. Two or more empty buckets (200 ms or more without a sample, a
// stalled sampler) stay empty, and the lines break there.
export const SAMPLE_PERIOD_MS = 100;
export function fillJitter(e: Envelope): Envelope {
  if (e.widthMs > SAMPLE_PERIOD_MS) return e;
  const lone = (i: number) => e.n[i] === 0 && i > 0 && i + 1 < e.n.length && e.n[i - 1] > 0 && e.n[i + 1] > 0;
  for (let i = 1; i + 1 < e.n.length; i++) {
    if (!lone(i)) continue;
    for (const c of Object.values(e.columns)) {
      c.min[i] = c.min[i - 1]; c.max[i] = c.max[i - 1]; c.mean[i] = c.mean[i - 1]; c.last[i] = c.last[i - 1];
    }
  }
  return e;
}

function readBaselineOverlay(s: RunSummary, dir: string): BaselineOverlay | null {
  const name = defaultBaselineName(s);
  const path = join(dir, `${name}.json`);
  if (!existsSync(path)) return null;
  try {
    const b = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; figures?: { peakRssBytes?: unknown; eventsPerSec?: unknown } };
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return { name: b.name ?? name, peakRssBytes: n(b.figures?.peakRssBytes), eventsPerSec: n(b.figures?.eventsPerSec) };
  } catch {
    return null;
  }
}

function readJson<T>(path: string, problems: string[]): T | null {
  if (!existsSync(path)) {
    problems.push(`${path.split('/').pop()} is missing (the run did not finish?)`);
    return null;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    problems.push(`${path}: not JSON (${(err as Error).message})`);
    return null;
  }
}

function labelFromScenario(s: Record<string, unknown> | null): string {
  const d = s?.daemon as { name?: unknown; policy?: unknown } | undefined;
  if (!d || typeof d.name !== 'string') return 'unknown daemon';
  return daemonLabel(d.name, d.name === 'tsauditd' && typeof d.policy === 'string' ? d.policy : null);
}
