// Baselines: a run's key figures saved under results/baselines/<name>.json (kept in git, so a
// regression gate has something to compare with), and the check of a new run against one.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { RunSummary } from '../run/run-scenario.ts';
import { DEFAULT_RESULTS_ROOT } from '../run/results-dir.ts';
import { figuresOf, type CompareFigures } from '../compare/compare-math.ts';
import { table } from '../compare/compare-table.ts';
import { writeAtomic } from '../report/index.ts';
import { daemonLabel, int, mib, ms } from '../report/format.ts';
import {
  allowedLimit, DEFAULT_TOLERANCES, describeTolerance, TOLERANCE_KEYS, tolerancesFromScenario, type Tolerance, type ToleranceKey,
} from './tolerance.ts';

export const DEFAULT_BASELINE_DIR = join(DEFAULT_RESULTS_ROOT, 'baselines');

export interface Baseline {
  name: string;
  savedAt: string;
  /** the run folder it came from */
  source: string;
  scenario: string;
  daemon: string;
  verdict: string;
  seed: number;
  durationMs: number;
  host: RunSummary['host'] | null;
  figures: CompareFigures;
}

export class BaselineError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'BaselineError';
  }
}

export const defaultBaselineName = (s: Pick<RunSummary, 'scenario' | 'daemon' | 'policy'>): string =>
  `${s.scenario}-${daemonLabel(s.daemon, s.policy).replace(/:/g, '-')}`;

function checkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new BaselineError(`--name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (it becomes a file name)`, 2);
  }
  return name;
}

export function readRunSummary(runDir: string): RunSummary {
  const path = join(runDir, 'summary.json');
  if (!existsSync(path)) throw new BaselineError(`${path} not found: give a results folder of a finished run (results/<time>-<scenario>-<daemon>/)`, 2);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunSummary;
  } catch (err) {
    throw new BaselineError(`${path}: not JSON (${(err as Error).message})`, 2);
  }
}

export function saveBaseline(runDir: string, opts: { name?: string; dir?: string } = {}): { path: string; baseline: Baseline } {
  const s = readRunSummary(runDir);
  const name = checkName(opts.name ?? defaultBaselineName(s));
  const b: Baseline = {
    name, savedAt: new Date().toISOString(), source: resolve(runDir), scenario: s.scenario, daemon: daemonLabel(s.daemon, s.policy),
    verdict: s.verdict, seed: s.seed, durationMs: s.durationMs, host: s.host ?? null, figures: figuresOf(s),
  };
  const dir = opts.dir ?? DEFAULT_BASELINE_DIR;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeAtomic(path, `${JSON.stringify(b, null, 2)}\n`);
  return { path, baseline: b };
}

export function loadBaseline(name: string, dir = DEFAULT_BASELINE_DIR): Baseline {
  const path = join(dir, `${checkName(name)}.json`);
  if (!existsSync(path)) {
    const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    throw new BaselineError(`no baseline "${name}" in ${dir}${have.length ? ` (have: ${have.join(', ')})` : ''}; ` +
      `save one with: auditstorm baseline save RUN_DIR${name.includes('-') ? '' : ` --name ${name}`}`, 2);
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  } catch (err) {
    throw new BaselineError(`${path}: not JSON (${(err as Error).message})`, 2);
  }
}

export interface CheckRow {
  key: ToleranceKey;
  base: number | null;
  now: number | null;
  tolerance: Tolerance;
  /** the worst value allowed; null: not checked */
  allowed: number | null;
  status: 'ok' | 'regressed' | 'improved' | 'not checked' | 'missing';
}

export interface CheckResult {
  baseline: Baseline;
  rows: CheckRow[];
  regressed: CheckRow[];
  warnings: string[];
}

/** Tolerances in force for a run: defaults, then the run's scenario.yaml expect.tolerance, then flags. */
export function tolerancesFor(runDir: string, flags: Record<string, Tolerance> = {}): Record<string, Tolerance> {
  let scenario: Record<string, unknown> | null = null;
  const path = join(runDir, 'scenario.yaml');
  if (existsSync(path)) {
    try { scenario = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch { scenario = null; }
  }
  return { ...DEFAULT_TOLERANCES, ...tolerancesFromScenario(scenario, path), ...flags };
}

export function checkFigures(baseline: Baseline, now: CompareFigures, tolerances: Record<string, Tolerance>): CheckRow[] {
  return TOLERANCE_KEYS.map((key) => {
    const base = baseline.figures[key.figure];
    const cur = now[key.figure];
    const tolerance = tolerances[key.key] ?? { kind: 'off' };
    if (base === null || cur === null) return { key, base, now: cur, tolerance, allowed: null, status: tolerance.kind === 'off' ? 'not checked' : 'missing' };
    const allowed = allowedLimit(base, tolerance, key.worse);
    let status: CheckRow['status'];
    if (allowed === null) status = 'not checked';
    else if ((cur - allowed) * key.worse > 0) status = 'regressed';
    else if ((cur - base) * key.worse < 0) status = 'improved';
    else status = 'ok';
    return { key, base, now: cur, tolerance, allowed, status };
  });
}

export function checkBaseline(runDir: string, opts: { name?: string; dir?: string; tolerances?: Record<string, Tolerance> } = {}): CheckResult {
  const s = readRunSummary(runDir);
  const baseline = loadBaseline(opts.name ?? defaultBaselineName(s), opts.dir);
  const warnings: string[] = [];
  const label = daemonLabel(s.daemon, s.policy);
  if (baseline.scenario !== s.scenario) warnings.push(`the baseline is of scenario ${baseline.scenario}, this run of ${s.scenario}`);
  if (baseline.daemon !== label) warnings.push(`the baseline is of ${baseline.daemon}, this run of ${label}`);
  if (baseline.durationMs !== s.durationMs) warnings.push(`durations differ: baseline ${baseline.durationMs} ms, this run ${s.durationMs} ms`);
  if (baseline.host?.kernel && s.host?.kernel && baseline.host.kernel !== s.host.kernel) {
    warnings.push(`kernels differ: baseline ${baseline.host.kernel}, this run ${s.host.kernel}`);
  }
  const rows = checkFigures(baseline, figuresOf(s), tolerancesFor(runDir, opts.tolerances));
  return { baseline, rows, regressed: rows.filter((r) => r.status === 'regressed'), warnings };
}

function fmtFigure(k: ToleranceKey, v: number | null): string {
  if (k.unit === 'size') return mib(v);
  if (k.unit === 'duration') return ms(v);
  return int(v);
}

function change(base: number | null, now: number | null): string {
  if (base === null || now === null) return 'n/a';
  if (base === 0) return now === 0 ? '0%' : `+${int(now)}`;
  const pct = ((now - base) / Math.abs(base)) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

export function checkTable(r: CheckResult): string {
  const rows = [['figure', 'baseline', 'this run', 'change', 'tolerance', 'worst allowed', 'status']];
  for (const row of r.rows) {
    rows.push([row.key.title, fmtFigure(row.key, row.base), fmtFigure(row.key, row.now), change(row.base, row.now),
      describeTolerance(row.tolerance, row.key), row.allowed === null ? '-' : fmtFigure(row.key, row.allowed),
      row.status === 'regressed' ? 'REGRESSED' : row.status]);
  }
  const lines = [`baseline ${r.baseline.name} (${r.baseline.scenario} with ${r.baseline.daemon}, saved ${r.baseline.savedAt})`, table(rows, 1)];
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(r.regressed.length ? `REGRESSED: ${r.regressed.map((x) => x.key.title).join(', ')}` : 'no regression');
  return `${lines.join('\n')}\n`;
}
