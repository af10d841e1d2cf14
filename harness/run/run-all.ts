// `auditstorm scenarios --run-all`: every library scenario under tsauditd block, drop and
// unbounded and under Debian's auditd, one after another, then a table of verdicts and key
// figures (printed, and written as Markdown for docs/scenarios.md).
import { writeFileSync, mkdirSync } from 'node:fs';
import { isInterruptExit } from '../host/with-host-session.ts';
import { join, resolve } from 'node:path';
import { loadScenario, resolveScenarioPath } from '../scenario/load-scenario.ts';
import { runScenario, type RunOutcome } from './run-scenario.ts';
import { DEFAULT_RESULTS_ROOT } from './results-dir.ts';
import type { EventAccounting } from '../verdict/accounting.ts';

export const LIBRARY = ['runaway-queue', 'frozen-log', 'slow-plugin', 'cpu-starved', 'disk-full', 'crash-restart', 'soak-steady'] as const;

export const MATRIX: Array<{ daemon: 'tsauditd' | 'auditd'; policy?: 'block' | 'drop' | 'unbounded' }> = [
  { daemon: 'tsauditd', policy: 'block' }, { daemon: 'tsauditd', policy: 'drop' },
  { daemon: 'tsauditd', policy: 'unbounded' }, { daemon: 'auditd' },
];

export interface TableRow {
  scenario: string;
  daemon: string;
  verdict: string;
  peakRssMiB: string;
  eventsPerSec: string;
  generated: string;
  logged: string;
  incomplete: string;
  /** events kauditd printed instead of delivering, identified by serial */
  kernelDropped: string;
  /** kernel drops seen but not identified (suppressed, EPIPE): records, at most */
  kernelUnattributed: string;
  /** the kernel's `lost` delta: records, at most that many events */
  kernelCounted: string;
  /** events, from the daemon's own per-event counters; n/a: it keeps none */
  daemonDropped: string;
  daemonNotWritten: string;
  /** exact, or a range when the record bounds took part */
  silentLoss: string;
  oomKills: string;
  backlogWaitS: string;
  worstRecovery: string;
  failed: string;
  dir: string;
}

export function rowOf(scenario: string, daemon: string, o: RunOutcome): TableRow {
  const m = o.summary.metrics;
  const recov = o.summary.recovery.map((r) => r.recoveryMs);
  const worst = recov.length ? (recov.some((r) => r === null) ? 'never' : `${(Math.max(...(recov as number[])) / 1000).toFixed(1)} s`) : '-';
  return {
    scenario, daemon, verdict: o.summary.verdict,
    peakRssMiB: (m.peakRssBytes / 1048576).toFixed(1), eventsPerSec: String(Math.round(m.throughputEventsPerSec)),
    ...lossCells(m.events), oomKills: String(m.oomKills),
    backlogWaitS: (m.kernel.backlogWaitMs / 1000).toFixed(1), worstRecovery: worst,
    failed: o.summary.assertions.filter((a) => !a.ok).map((a) => a.name).join('; '), dir: o.dir,
  };
}

type LossCells = Pick<TableRow, 'generated' | 'logged' | 'incomplete' | 'kernelDropped' | 'kernelUnattributed' | 'kernelCounted' | 'daemonDropped' | 'daemonNotWritten' | 'silentLoss'>;

/** summary.json's metrics.events as the table shows it: events, and the record bounds marked as bounds. */
export function lossCells(e: EventAccounting): LossCells {
  const l = e.lost;
  const opt = (n: number | null) => (n === null ? 'n/a' : String(n));
  return {
    generated: String(e.generated), logged: String(e.logged), incomplete: String(e.incomplete),
    kernelDropped: String(l.kernelDropped), kernelUnattributed: `<= ${l.kernelDroppedUnattributed}`, kernelCounted: `<= ${l.kernelCounted}`,
    daemonDropped: opt(l.daemonDropped), daemonNotWritten: opt(l.daemonNotWritten),
    silentLoss: e.silentLossBound !== undefined && e.silentLossBound !== e.silentLoss ? `${e.silentLoss}..${e.silentLossBound}` : String(e.silentLoss),
  };
}

const COLUMNS: Array<[keyof TableRow, string]> = [
  ['scenario', 'scenario'], ['daemon', 'daemon'], ['verdict', 'verdict'], ['peakRssMiB', 'peak RSS MiB'],
  ['eventsPerSec', 'events/s'], ['generated', 'generated'], ['logged', 'logged'], ['incomplete', 'incomplete'],
  ['kernelDropped', 'kernel dropped (by serial)'], ['kernelUnattributed', 'kernel unattributed (records)'],
  ['kernelCounted', 'kernel lost (records)'], ['daemonDropped', 'daemon dropped'], ['daemonNotWritten', 'not written'],
  ['silentLoss', 'silent loss'], ['oomKills', 'OOM kills'], ['backlogWaitS', 'caller wait s'],
  ['worstRecovery', 'recovery'], ['failed', 'failed assertions'],
];

export function markdownTable(rows: TableRow[]): string {
  const head = `| ${COLUMNS.map((c) => c[1]).join(' | ')} |`;
  const sep = `|${COLUMNS.map(() => '---').join('|')}|`;
  return [head, sep, ...rows.map((r) => `| ${COLUMNS.map(([k]) => String(r[k]).replace(/\|/g, '/')).join(' | ')} |`)].join('\n');
}

export function textTable(rows: TableRow[]): string {
  const cols = COLUMNS.filter(([k]) => k !== 'failed');
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  return [line(cols.map((c) => c[1])), ...rows.map((r) => line(cols.map(([k]) => String(r[k]))) + (r.failed ? `\n    failed: ${r.failed}` : ''))].join('\n');
}

export async function runAllScenarios(o: { duration?: string; out?: string; log: (line: string) => void }): Promise<{ rows: TableRow[]; tablePath: string }> {
  const rows: TableRow[] = [];
  const root = o.out ? resolve(o.out) : DEFAULT_RESULTS_ROOT;
  for (const name of LIBRARY) {
    for (const cell of MATRIX) {
      const label = cell.policy ? `${cell.daemon}:${cell.policy}` : cell.daemon;
      o.log(`== ${name} with ${label} ==`);
      try {
        const scenario = loadScenario(resolveScenarioPath(name), { daemon: cell.daemon, policy: cell.policy, duration: o.duration });
        const outcome = await runScenario({ scenario, outRoot: root, onPhase: () => {}, lockWaitMs: 600_000 });
        const row = rowOf(name, label, outcome);
        rows.push(row);
        o.log(`   ${row.verdict.toUpperCase()} peak RSS ${row.peakRssMiB} MiB, ${row.eventsPerSec} ev/s, generated ${row.generated}, logged ${row.logged}, silent loss ${row.silentLoss}, OOM ${row.oomKills}${row.failed ? `; failed: ${row.failed}` : ''}`);
        if (isInterruptExit(outcome.exitCode)) break;
      } catch (err) {
        const msg = (err as Error).message.split('\n')[0]!.slice(0, 200);
        const none = Object.fromEntries(COLUMNS.map(([k]) => [k, '-'])) as unknown as TableRow;
        rows.push({ ...none, scenario: name, daemon: label, verdict: 'error', failed: msg, dir: '' });
        o.log(`   ERROR ${msg}`);
      }
    }
  }
  mkdirSync(root, { recursive: true });
  const tablePath = join(root, `scenarios-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
  writeFileSync(tablePath, `${markdownTable(rows)}\n\nMade with \`npm run scenarios${o.duration ? ` -- --duration ${o.duration}` : ''}\`.\n`);
  return { rows, tablePath };
}
