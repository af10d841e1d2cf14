// `auditstorm compare`: one scenario against several daemons (run here, alternating the order
// when repeated), or existing result folders (runs from other machines, e.g. a CI matrix), into
// compare.json, compare.txt (the terminal table) and compare.html.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isInterruptExit } from '../host/with-host-session.ts';
import { join, resolve } from 'node:path';
import type { RunSummary } from '../run/run-scenario.ts';
import { createRunDir, DEFAULT_RESULTS_ROOT } from '../run/results-dir.ts';
import { readRunData } from '../report/run-data.ts';
import { writeAtomic, writeRunArtifacts } from '../report/index.ts';
import { compareRunOf, groupRuns, runOrder, type CompareGroup, type CompareRun } from './compare-math.ts';
import { compareTable } from './compare-table.ts';
import { renderComparePage } from './compare-page.ts';
import { daemonLabel } from '../report/format.ts';

import { DEFAULT_COMPARE_DAEMONS as DEFAULT_DAEMONS } from '../scenario/names.ts';

export { DEFAULT_DAEMONS };

export interface DaemonSpec {
  daemon: string;
  policy?: string;
  label: string;
}

export class CompareUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CompareUsageError';
  }
}

/** "tsauditd:block,auditd" -> specs; the names themselves are checked by the runner. */
export function parseDaemons(text: string): DaemonSpec[] {
  const specs = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [daemon, policy, extra] = s.split(':');
    if (!daemon || extra !== undefined || policy === '') {
      throw new CompareUsageError(`--daemons: "${s}" is not NAME or NAME:POLICY (e.g. tsauditd:block, auditd)`);
    }
    return { daemon, policy, label: daemonLabel(daemon, policy) };
  });
  if (!specs.length) throw new CompareUsageError(`--daemons: give at least one daemon, e.g. ${DEFAULT_DAEMONS}`);
  const dup = specs.find((s, i) => specs.findIndex((t) => t.label === s.label) !== i);
  if (dup) throw new CompareUsageError(`--daemons: ${dup.label} is listed twice; use --repeat N for repeats`);
  return specs;
}

/** A result folder holds summary.json (or at least metrics.jsonl, for a run killed early). */
export function isRunDir(p: string): boolean {
  try {
    return statSync(p).isDirectory() && (existsSync(join(p, 'summary.json')) || existsSync(join(p, 'metrics.jsonl')));
  } catch {
    return false;
  }
}

export interface CompareResult {
  outDir: string;
  runs: CompareRun[];
  groups: CompareGroup[];
  table: string;
  /** the first run that was interrupted (Ctrl-C) stops the comparison */
  interrupted: boolean;
  /** the interrupted run's exit code (130 SIGINT, 143 SIGTERM) */
  interruptExitCode?: number;
}

export type RunOneFn = (scenario: string, o: { daemon: string; policy?: string; duration?: string; quiet?: boolean; out?: string }) =>
  Promise<{ dir: string; exitCode: number; summary: RunSummary }>;

export interface CompareScenarioOptions {
  scenario: string;
  daemons: DaemonSpec[];
  repeat: number;
  duration?: string;
  /** results root (default results/) */
  out?: string;
  runOne: RunOneFn;
  log?: (line: string) => void;
}

export async function compareScenario(o: CompareScenarioOptions): Promise<CompareResult> {
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new CompareUsageError(`--repeat ${o.repeat}: a whole number >= 1`);
  const log = o.log ?? (() => {});
  const entries: Array<{ dir: string; round: number; position: number; label: string }> = [];
  let scenarioName = o.scenario.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  let interrupted = false;
  let interruptExitCode: number | undefined;
  const plan = runOrder(o.daemons, o.repeat);
  for (const [i, { item, round, position }] of plan.entries()) {
    log(`== ${i + 1}/${plan.length}: ${o.scenario} with ${item.label}${o.repeat > 1 ? ` (round ${round + 1})` : ''} ==`);
    const outcome = await o.runOne(o.scenario, { daemon: item.daemon, policy: item.policy, duration: o.duration, quiet: true, out: o.out });
    scenarioName = outcome.summary.scenario;
    log(`${outcome.summary.verdict.toUpperCase()} ${item.label}: ${outcome.dir}`);
    try {
      await writeRunArtifacts(outcome.dir);
    } catch (err) {
      log(`warning: could not write the report of ${outcome.dir}: ${(err as Error).message}`);
    }
    entries.push({ dir: outcome.dir, round, position, label: item.label });
    if (isInterruptExit(outcome.exitCode)) { interrupted = true; interruptExitCode = outcome.exitCode; break; }
  }
  const outDir = createRunDir(o.out ? resolve(o.out) : DEFAULT_RESULTS_ROOT, scenarioName, 'compare');
  const result = await writeComparison(outDir, scenarioName, entries, o.daemons.map((d) => d.label));
  return { ...result, interrupted, ...(interruptExitCode ? { interruptExitCode } : {}) };
}

export async function compareDirs(dirs: string[], out?: string): Promise<CompareResult> {
  const missing = dirs.filter((d) => !isRunDir(d));
  if (missing.length) throw new CompareUsageError(`not a result folder (no summary.json or metrics.jsonl): ${missing.join(', ')}`);
  const summaries = dirs.map((d) => readSummary(d));
  const scenarios = [...new Set(summaries.map((s) => s?.scenario).filter(Boolean))] as string[];
  const scenarioName = scenarios.length === 1 ? scenarios[0] : scenarios.length ? scenarios.join('+') : 'runs';
  // Repeats of the same daemon (e.g. a CI matrix of machines) number their rounds in the order given.
  const seen = new Map<string, number>();
  const entries = dirs.map((dir, i) => {
    const s = summaries[i];
    const label = s ? daemonLabel(s.daemon, s.policy) : dir.replace(/\/$/, '').split('/').pop()!;
    const round = seen.get(label) ?? 0;
    seen.set(label, round + 1);
    return { dir: resolve(dir), round, position: i, label };
  });
  const outDir = createRunDir(out ? resolve(out) : DEFAULT_RESULTS_ROOT, scenarioName.slice(0, 80), 'compare');
  return { ...(await writeComparison(outDir, scenarioName, entries)), interrupted: false };
}

async function writeComparison(outDir: string, scenario: string, entries: Array<{ dir: string; round: number; position: number; label: string }>, order?: string[]): Promise<Omit<CompareResult, 'interrupted'>> {
  const runs = entries.map((e) => compareRunOf(readSummary(e.dir), e.dir, e.round, e.position, e.label));
  const groups = groupRuns(runs, order);
  const text = compareTable(runs, groups);
  const data = [];
  for (const e of entries) data.push(await readRunData(e.dir));
  writeAtomic(join(outDir, 'compare.json'), `${JSON.stringify({ scenario, createdAt: new Date().toISOString(), daemons: groups.map((g) => g.label), groups, runs }, null, 2)}\n`);
  writeAtomic(join(outDir, 'compare.txt'), text);
  writeAtomic(join(outDir, 'compare.html'), renderComparePage({ scenario, outDir, runs, groups, data }));
  return { outDir, runs, groups, table: text };
}

function readSummary(dir: string): RunSummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  } catch {
    return null;
  }
}
