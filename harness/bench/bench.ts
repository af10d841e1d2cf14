// `npm run bench`: tsauditd and Debian's auditd on the same loads, in the same run, alternating
// order each round so drift (page cache, thermal, other tenants) falls on both. Three loads:
// full speed (what a daemon sustains), a steady moderate rate (2 x 1,000 openat/s: CPU per event
// where servers spend their time) and idle (registered, nothing arrives: idle RSS and CPU). Then
// the slow-disk scenarios (slow-writer, runaway-queue: an openat storm against a throttled log
// device, the same disk and flush for both daemons): logged events/s, and whether tsauditd's
// block lost anything. Then the CLI's start-up time and the harness's own sampling cost. Prints each figure for both daemons and the ratio tsauditd/auditd
// next to its target. A benchmark: it prints, it does not fail.
import { spawnSync } from 'node:child_process';
import type { RunSummary } from '../run/run-scenario.ts';
import { eventsMissing } from '../verdict/accounting.ts';
import { packageFile } from '../../lib/paths.ts';
import type { SamplerCost } from './sampler-cost.ts';

export const BENCH_SCENARIO = packageFile('loads/bench/openat-max.yaml');
export const MODERATE_SCENARIO = packageFile('loads/bench/openat-moderate.yaml');
export const IDLE_SCENARIO = packageFile('loads/bench/idle.yaml');
/** the slow-disk loads are the scenario library's own: the figures are the runs `auditstorm run` makes */
export const SLOW_SCENARIOS = {
  'slow-writer': packageFile('loads/scenarios/slow-writer.yaml'),
  'runaway-queue': packageFile('loads/scenarios/runaway-queue.yaml'),
} as const;
type SlowLoad = keyof typeof SLOW_SCENARIOS;
const SLOW_LOADS = Object.keys(SLOW_SCENARIOS) as SlowLoad[];

type DaemonKind = 'tsauditd' | 'auditd';
export type BenchLoad = 'full' | 'moderate' | 'idle' | SlowLoad;

export interface BenchRow {
  daemon: DaemonKind;
  load: BenchLoad;
  round: number;
  eventsPerSec: number;
  /** events logged */
  events: number;
  cpuSeconds: number;
  cpuSecPer100k: number;
  durationSec: number;
  peakRssBytes: number;
  idleRssBytes: number;
  /** the run's own RSS bound (idle + the daemon's queue_hwm_bytes + 16 MiB), from its assertion */
  rssBoundBytes: number | null;
  silentLoss: number;
  kernelLost: number;
  /** events generated, and those not in the log whoever lost them */
  generated?: number;
  missing?: number;
  /** kauditd sends to the daemon's socket that timed out (tsauditd's stats) */
  socketDrops?: number;
  /** the loads' longest single op and the kernel's backlog_wait_time, ms (summary.json kernel{}) */
  longestOpMs?: number | null;
  backlogWaitTimeMs?: number;
  dir: string;
}

export interface CliTiming { command: string; medianSec: number; runs: number }

interface Medians { eventsPerSec: number; cpuSecPer100k: number; cpuSecPerMin: number; peakRssBytes: number; idleRssBytes: number }

export interface BenchResult {
  rows: BenchRow[];
  median: Record<DaemonKind, Record<'full' | 'moderate' | 'idle', Medians> & Partial<Record<SlowLoad, Medians>>>;
  cli: CliTiming[];
  /** the full sampler at 10 Hz, in % of one core (absent in results from before it was measured) */
  sampler?: SamplerCost;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function row(daemon: DaemonKind, load: BenchLoad, round: number, s: RunSummary): BenchRow {
  const m = s.metrics;
  const bound = s.assertions.find((a) => a.name === 'peak RSS under its bound');
  return {
    daemon, load, round, eventsPerSec: m.throughputEventsPerSec, events: m.events.logged,
    cpuSeconds: m.daemonCpuSeconds, durationSec: s.durationMs / 1000,
    cpuSecPer100k: m.events.logged ? (m.daemonCpuSeconds / m.events.logged) * 100_000 : NaN,
    peakRssBytes: m.peakRssBytes, idleRssBytes: m.idleRssBytes,
    rssBoundBytes: typeof bound?.limit === 'number' ? bound.limit : null,
    silentLoss: m.events.silentLoss, kernelLost: m.kernel.lost,
    generated: m.events.generated, missing: eventsMissing(m.events), socketDrops: m.socket.drops,
    longestOpMs: m.kernel.longestAuditedOpMs, backlogWaitTimeMs: m.kernel.backlogWaitTimeMs, dir: s.dir,
  };
}

/** wall time of `node BIN ARGS`, median of `runs` (one warm-up run first, not counted) */
export function timeCli(args: string[], runs = 10): CliTiming {
  const bin = packageFile('harness/bin/auditstorm.js');
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`auditstorm ${args.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  once();
  return { command: `auditstorm ${args.join(' ')}`, medianSec: median(Array.from({ length: runs }, once)), runs };
}

export interface BenchOptions {
  rounds: number;
  /** full-load run length (default: the scenario's, 20 s) */
  duration?: string;
  /** moderate-rate run length (default: the scenario's, 60 s) */
  moderateDuration?: string;
  /** idle run length (default: the scenario's, 20 s) */
  idleDuration?: string;
  /** slow-disk run length (default: the scenarios', 45 s and 30 s) */
  slowDuration?: string;
  outRoot?: string;
  log: (l: string) => void;
}

/** Each load's scenario file and the run length the options give it. */
function loadPlan(load: BenchLoad, o: BenchOptions): { file: string; duration: string | undefined; slow: boolean } {
  switch (load) {
    case 'full': return { file: BENCH_SCENARIO, duration: o.duration, slow: false };
    case 'moderate': return { file: MODERATE_SCENARIO, duration: o.moderateDuration, slow: false };
    case 'idle': return { file: IDLE_SCENARIO, duration: o.idleDuration, slow: false };
    default: return { file: SLOW_SCENARIOS[load], duration: o.slowDuration, slow: true };
  }
}

export async function bench(o: BenchOptions): Promise<BenchResult> {
  const [{ loadScenario }, { runScenario }] = await Promise.all([import('../scenario/load-scenario.ts'), import('../run/run-scenario.ts')]);
  const rows: BenchRow[] = [];
  const runOne = async (daemon: DaemonKind, load: BenchLoad, round: number) => {
    const { file, duration, slow } = loadPlan(load, o);
    // tsauditd under its default policy, block, in every load (the slow-disk scenarios name it too)
    const scenario = loadScenario(file, { daemon, duration, ...(daemon === 'tsauditd' ? { policy: 'block' as const } : {}) });
    const out = await runScenario({ scenario, outRoot: o.outRoot, lockWaitMs: 600_000 });
    const r = row(daemon, load, round, out.summary);
    rows.push(r);
    o.log(`round ${round} ${load.padEnd(8)} ${daemon.padEnd(8)} ${Math.round(r.eventsPerSec)} events/s, ${r.cpuSeconds.toFixed(2)} CPU s ` +
      `(${Number.isFinite(r.cpuSecPer100k) ? r.cpuSecPer100k.toFixed(2) : '-'} per 100k events), idle RSS ${mib(r.idleRssBytes)}, ` +
      `peak RSS ${mib(r.peakRssBytes)}, silent loss ${r.silentLoss}` +
      (slow ? `, missing ${r.missing} of ${r.generated}, kernel lost +${r.kernelLost}, socket drops ${r.socketDrops}, ` +
        `longest audited op ${r.longestOpMs == null ? 'n/a' : `${Math.round(r.longestOpMs)} ms`} (backlog_wait_time ${r.backlogWaitTimeMs} ms)` : ''));
  };
  for (let round = 1; round <= o.rounds; round++) {
    const order: DaemonKind[] = round % 2 ? ['tsauditd', 'auditd'] : ['auditd', 'tsauditd'];
    for (const load of ['full', 'moderate', ...SLOW_LOADS] as const) for (const daemon of order) await runOne(daemon, load, round);
  }
  for (const daemon of ['tsauditd', 'auditd'] as const) await runOne(daemon, 'idle', 1);
  const cli = [timeCli(['--help']), timeCli(['validate', 'steady-openat'])];
  for (const c of cli) o.log(`${c.command}: median ${c.medianSec.toFixed(3)} s of ${c.runs}`);
  const { samplerCost } = await import('./sampler-cost.ts');
  const sampler = await samplerCost();
  o.log(`sampler at 10 Hz: ${sampler.pct.toFixed(2)}% of one core over ${sampler.seconds.toFixed(1)} s, ${sampler.ticks} ticks, mean tick ${Math.round(sampler.meanTickUs)} us`);

  const med = (d: DaemonKind, l: BenchLoad) => {
    const rs = rows.filter((r) => r.daemon === d && r.load === l);
    return {
      eventsPerSec: median(rs.map((r) => r.eventsPerSec)), cpuSecPer100k: median(rs.map((r) => r.cpuSecPer100k)),
      cpuSecPerMin: median(rs.map((r) => (r.cpuSeconds / r.durationSec) * 60)),
      peakRssBytes: median(rs.map((r) => r.peakRssBytes)), idleRssBytes: median(rs.map((r) => r.idleRssBytes)),
    };
  };
  const both = (d: DaemonKind) => ({
    full: med(d, 'full'), moderate: med(d, 'moderate'), idle: med(d, 'idle'),
    ...Object.fromEntries(SLOW_LOADS.map((l) => [l, med(d, l)])),
  });
  return { rows, median: { tsauditd: both('tsauditd'), auditd: both('auditd') }, cli, sampler };
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

/** The slow-disk loads: events/s against auditd's (target >= 1x), then every tsauditd run's
 *  losses (any kind), timed-out kernel sends and peak RSS against its bound (target: none, none,
 *  within). Nothing when the result has no such runs. */
function slowLines(r: BenchResult, line: (n: string, ts: string, ad: string, rt: string, target: string) => string,
  ratio: (x: number, y: number) => string, verdict: (ok: boolean) => string): string[] {
  const out: string[] = [];
  for (const load of SLOW_LOADS) {
    const t = r.median.tsauditd[load], a = r.median.auditd[load];
    if (!t || !a || !Number.isFinite(t.eventsPerSec)) continue;
    out.push(line(`${load}: events/s`, String(Math.round(t.eventsPerSec)), String(Math.round(a.eventsPerSec)), ratio(t.eventsPerSec, a.eventsPerSec),
      `>= 1x: ${verdict(t.eventsPerSec >= a.eventsPerSec)}`));
    const runs = r.rows.filter((x) => x.daemon === 'tsauditd' && x.load === load);
    const missing = runs.reduce((n, x) => n + (x.missing ?? NaN) + x.kernelLost, 0);
    const drops = runs.reduce((n, x) => n + (x.socketDrops ?? NaN), 0);
    const within = runs.every((x) => x.rssBoundBytes !== null && x.peakRssBytes <= x.rssBoundBytes);
    out.push(`${load}: tsauditd block, ${runs.length} run(s): events missing + kernel lost ${missing} (target 0: ${verdict(missing === 0)}), ` +
      `socket drops ${drops} (target 0: ${verdict(drops === 0)}), peak RSS within its bound: ${verdict(within)}`);
  }
  return out;
}

export function formatBench(r: BenchResult): string {
  const t = r.median.tsauditd, a = r.median.auditd;
  const ratio = (x: number, y: number) => (Number.isFinite(x / y) ? `${(x / y).toFixed(2)}x` : '-');
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const line = (name: string, ts: string, ad: string, rt: string, target: string) =>
    `${name.padEnd(36)} ${ts.padEnd(12)} ${ad.padEnd(12)} ${rt.padEnd(8)} ${target}`;
  const tsRuns = r.rows.filter((x) => x.daemon === 'tsauditd' && x.load !== 'idle');
  const boundOk = tsRuns.every((x) => x.rssBoundBytes !== null && x.peakRssBytes <= x.rssBoundBytes);
  const worstBound = tsRuns.reduce<BenchRow | null>((w, x) => (!w || x.peakRssBytes - (x.rssBoundBytes ?? 0) > w.peakRssBytes - (w.rssBoundBytes ?? 0) ? x : w), null);
  const tput = t.full.eventsPerSec / a.full.eventsPerSec;
  const cpuFull = t.full.cpuSecPer100k / a.full.cpuSecPer100k;
  const cpuMod = t.moderate.cpuSecPer100k / a.moderate.cpuSecPer100k;
  const lines = [
    `median of ${Math.max(...r.rows.map((x) => x.round))} round(s); same rules, kernel settings and flush (incremental_async, freq 50) for both` +
      (r.rows.some((x) => (SLOW_LOADS as string[]).includes(x.load)) ? `; the slow-disk loads: their scenario's flush and throttled disk, the same for both` : ''),
    line('', 'tsauditd', 'auditd', 'ratio', 'target'),
    line('full load: events/s', String(Math.round(t.full.eventsPerSec)), String(Math.round(a.full.eventsPerSec)), ratio(t.full.eventsPerSec, a.full.eventsPerSec),
      `>= 2x: ${verdict(tput >= 2)}`),
    line('full load: CPU s per 100k events', f2(t.full.cpuSecPer100k), f2(a.full.cpuSecPer100k), ratio(t.full.cpuSecPer100k, a.full.cpuSecPer100k), `<= 0.6x: ${verdict(cpuFull <= 0.6)}`),
    line('moderate: events/s (paced)', String(Math.round(t.moderate.eventsPerSec)), String(Math.round(a.moderate.eventsPerSec)), ratio(t.moderate.eventsPerSec, a.moderate.eventsPerSec), ''),
    line('moderate: CPU s per 100k events', f2(t.moderate.cpuSecPer100k), f2(a.moderate.cpuSecPer100k), ratio(t.moderate.cpuSecPer100k, a.moderate.cpuSecPer100k), `<= 0.6x: ${verdict(cpuMod <= 0.6)}`),
    line('idle: CPU s per minute', f2(t.idle.cpuSecPerMin), f2(a.idle.cpuSecPerMin), ratio(t.idle.cpuSecPerMin, a.idle.cpuSecPerMin), 'near 0'),
    line('idle RSS', mib(t.idle.idleRssBytes), mib(a.idle.idleRssBytes), ratio(t.idle.idleRssBytes, a.idle.idleRssBytes), `tsauditd <= 60 MiB: ${verdict(t.idle.idleRssBytes <= 60 * 1048576)}`),
    line('full load: peak RSS', mib(t.full.peakRssBytes), mib(a.full.peakRssBytes), ratio(t.full.peakRssBytes, a.full.peakRssBytes), ''),
    `tsauditd peak RSS <= idle + queue_hwm_bytes + 16 MiB in every loaded run: ${verdict(boundOk)}` +
      (worstBound ? ` (closest: ${worstBound.load} round ${worstBound.round}, peak ${mib(worstBound.peakRssBytes)} vs ${worstBound.rssBoundBytes === null ? 'no bound' : mib(worstBound.rssBoundBytes)})` : ''),
    ...slowLines(r, line, ratio, verdict),
    ...r.cli.map((c) => `${`${c.command}:`.padEnd(36)} median ${c.medianSec.toFixed(3)} s of ${c.runs} runs; target < 0.3 s: ${verdict(c.medianSec < 0.3)}`),
    ...(r.sampler ? [`${'sampler at 10 Hz (harness):'.padEnd(36)} ${r.sampler.pct.toFixed(2)}% of one core, ${r.sampler.ticks} ticks in ${r.sampler.seconds.toFixed(1)} s; ` +
      `target < 3%: ${verdict(r.sampler.pct < 3)}`] : []),
  ];
  return lines.join('\n');
}
