// The figures a comparison puts side by side, medians per daemon over repeats, and ratios
// against the first daemon: pure functions over summary.json contents.
import type { RunSummary } from '../run/run-scenario.ts';
import { daemonLabel } from '../report/format.ts';

export interface CompareFigures {
  peakRssBytes: number | null;
  eventsPerSec: number | null;
  kernelLost: number | null;
  silentLoss: number | null;
  backlogWaitMs: number | null;
  oomKills: number | null;
}

export const FIGURE_KEYS = ['peakRssBytes', 'eventsPerSec', 'kernelLost', 'silentLoss', 'backlogWaitMs', 'oomKills'] as const satisfies ReadonlyArray<keyof CompareFigures>;

export interface CompareRun {
  label: string;
  dir: string;
  /** 0-based repeat round, and position within that round (order alternates) */
  round: number;
  position: number;
  verdict: 'pass' | 'fail' | 'unknown';
  failed: string[];
  figures: CompareFigures;
  kernel: string | null;
}

export interface CompareGroup {
  label: string;
  runs: number;
  passes: number;
  medians: CompareFigures;
  /** median / the first group's median; null when either is missing or the base is 0 (and the value is not) */
  ratios: Record<keyof CompareFigures, number | null>;
}

export function figuresOf(s: RunSummary | null): CompareFigures {
  if (!s) return { peakRssBytes: null, eventsPerSec: null, kernelLost: null, silentLoss: null, backlogWaitMs: null, oomKills: null };
  const m = s.metrics;
  return {
    peakRssBytes: m.peakRssBytes, eventsPerSec: m.throughputEventsPerSec, kernelLost: m.kernel.lost,
    silentLoss: m.events.silentLoss, backlogWaitMs: m.kernel.backlogWaitMs, oomKills: m.oomKills,
  };
}

export function compareRunOf(s: RunSummary | null, dir: string, round = 0, position = 0, fallbackLabel = 'unknown'): CompareRun {
  return {
    label: s ? daemonLabel(s.daemon, s.policy) : fallbackLabel, dir, round, position,
    verdict: s?.verdict ?? 'unknown',
    failed: s ? s.assertions.filter((a) => !a.ok).map((a) => a.name) : ['no summary.json'],
    figures: figuresOf(s), kernel: s?.host?.kernel ?? null,
  };
}

export function median(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function ratioOf(value: number | null, base: number | null): number | null {
  if (value === null || base === null) return null;
  if (base === 0) return value === 0 ? 1 : null;
  return value / base;
}

/** Groups runs by daemon label in first-seen order (the order of --daemons), with medians and
 *  ratios against the first group. */
export function groupRuns(runs: CompareRun[], order?: string[]): CompareGroup[] {
  const labels = order ? [...order] : [];
  for (const r of runs) if (!labels.includes(r.label)) labels.push(r.label);
  const groups = labels.map((label) => {
    const mine = runs.filter((r) => r.label === label);
    const medians = Object.fromEntries(FIGURE_KEYS.map((k) => [k, median(mine.map((r) => r.figures[k]))])) as unknown as CompareFigures;
    return { label, runs: mine.length, passes: mine.filter((r) => r.verdict === 'pass').length, medians };
  }).filter((g) => g.runs > 0);
  const base = groups[0]?.medians;
  return groups.map((g) => ({
    ...g,
    ratios: Object.fromEntries(FIGURE_KEYS.map((k) => [k, base ? ratioOf(g.medians[k], base[k]) : null])) as Record<keyof CompareFigures, number | null>,
  }));
}

/** The run order for `repeat` rounds: as given, then reversed, then as given... so drift over
 *  time (page cache, thermal, other tenants) does not always favour the same daemon. */
export function runOrder<T>(items: readonly T[], repeat: number): Array<{ item: T; round: number; position: number }> {
  const out: Array<{ item: T; round: number; position: number }> = [];
  for (let round = 0; round < repeat; round++) {
    const seq = round % 2 === 0 ? items : [...items].reverse();
    seq.forEach((item, position) => out.push({ item, round, position }));
  }
  return out;
}
