// `auditstorm run`: one scenario against one daemon on the real kernel, in named phases:
//   prepare       kernel settings, the run's cgroup, log volume, plugin, scratch dir
//   startDaemon   the daemon registered, audit on, rules scoped to a fresh auid, bystanders
//   openWindow    the accounting window opens: `lost` before, kernel-log reader, printk lifted;
//                 the sampler starts
//   runLoad       loads (and faults) run until their end, the duration, Ctrl-C or the daemon's death
//   drain         the kernel backlog, the daemon's socket and its queue empty onto disk
//   closeWindow   the daemon stops; the window closes (`lost` after, last kernel-log records)
//   collect       the daemon's own counters and its log, read once
//   account       every generated event: logged, or lost by whom (verdict/accounting.ts)
//   judge         the scenario's limits become assertions
//   write         summary.json, results.tap, the log excerpt
// The host session restores the machine on every exit path.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelHz } from '../kernel/kernel-hz.ts';
import { interruptExitCode, withHostSession } from '../host/with-host-session.ts';
import type { HostSession } from '../host/host-session.ts';
import { createRunCgroup } from '../host/cgroup.ts';
import type { RunCgroup } from '../host/cgroup-types.ts';
import { Bystanders } from '../host/bystander.ts';
import { pickRunAuid, rulesLoad } from '../rules/commands.ts';
import type { Scenario } from '../scenario/schema.ts';
import { scenarioAsRunYaml, ScenarioError } from '../scenario/load-scenario.ts';
import { preflight } from '../scenario/preflight.ts';
import { createDaemon } from '../daemons/create-daemon.ts';
import type { DaemonUnderTest, StartContext, StopResult } from '../daemons/daemon.ts';
import { LogVolume } from '../faults/log-volume.ts';
import { DISK_FAULTS } from '../faults/kinds.ts';
import { FaultApplicabilityError, faultApplicabilityErrors, hostFaultSupport } from '../faults/applicability.ts';
import { needsSlowLayer } from '../faults/slow-disk.ts';
import { writeSinkPlugin } from '../faults/plugin-sink.ts';
import { FaultTimeline, type FaultWindowRecord } from '../faults/timeline.ts';
import type { FaultContext } from '../faults/fault-types.ts';
import { readMetrics } from '../metrics/metrics-reader.ts';
import { analyseRecovery, recoveryAssertions, type FaultRecovery } from '../verdict/recovery.ts';
import { HWM_SLACK_BYTES } from '../verdict/assertions.ts';
import { readProcStatus } from '../monitors/rss-cpu.ts';
import { Sampler } from '../monitors/sampler.ts';
import { createSoak, SOAK_MIN_MS, type Soak, type SoakReport } from '../soak/soak-session.ts';
import type { MetricsSample } from '../metrics/metrics-types.ts';
import { maxKnown, type AggregateSummary } from '../metrics/aggregates.ts';
import type { LogScan } from '../verdict/log-events.ts';
import { logFormat, type LogFormat } from '../verdict/log-format.ts';
import { jsonLinesFormat } from '../verdict/log-format-json.ts';

import { accountEvents, type EventAccounting } from '../verdict/accounting.ts';
import { evaluate, toTap, type Assertion, type RunFigures } from '../verdict/assertions.ts';
import { rssSlope, type SlopeEstimate } from '../verdict/rss-slope.ts';
import { LoadSet, type LoadTotals } from './load-set.ts';
import { unreadAuditBytes } from './socket-backlog.ts';
import { AccountingWindow, type WindowFigures } from './accounting-window.ts';
import { readDaemonCounters, scanDaemonLog, type DaemonCounters } from './collect.ts';
import { createRunDir, DEFAULT_RESULTS_ROOT, writeJson, writeLogExcerpt } from './results-dir.ts';

export interface RunOptions {
  scenario: Scenario;
  /** results root (default results/); the run gets a folder of its own below it */
  outRoot?: string;
  /** called ~10 times a second with the latest sample, for the live status line */
  onSample?: (s: LiveStatus) => void;
  /** one line per phase, for humans */
  onPhase?: (line: string) => void;
  lockWaitMs?: number;
}

export interface LiveStatus {
  elapsedMs: number;
  durationMs: number;
  eventsPerSec: number;
  rssBytes: number | null;
  queueRecords: number | null;
  backlog: number | null;
  lost: number | null;
}

export interface RunSummary {
  scenario: string;
  daemon: string;
  policy: string | null;
  verdict: 'pass' | 'fail';
  assertions: Assertion[];
  metrics: {
    /** peak of the daemon's RSS (VmRSS samples and VmHWM) */
    peakRssBytes: number;
    /** peak of RSS + unread bytes in its audit socket in one sample (what `peak_rss_max` judges, with VmHWM) */
    peakRssPlusSocketBytes: number | null;
    idleRssBytes: number;
    rssSlopeBytesPerSec: number | null;
    oomKills: number;
    throughputEventsPerSec: number;
    kernel: {
      lost: number; backlogMax: number | null; backlogWaitMs: number;
      /** the kernel's backlog_wait_time during the run (read back at its end), ms */
      backlogWaitTimeMs: number;
      /** the loads' longest single op (LoadTotals.maxOpMs): no record of theirs waited longer for
       *  room in the backlog; under backlog_wait_time, no wait of theirs ran out. null: no load
       *  is synchronous */
      longestAuditedOpMs: number | null;
      /** audit records kauditd printed to the kernel log over the window (any auid) */
      printedRecords: number;
      /** the kernel was booted with audit=1 (printed records are held, not dropped) */
      holdsPrinted: boolean;
      /** the run's events kauditd printed (by serial), and of those the ones in the log too
       *  (0 on a kernel without audit=1: it frees what it prints) */
      printedEvents: number | null;
      printedEventsLogged: number | null;
      /** incomplete events whose missing records the kernel printed (it cut them mid-event) */
      incompleteByKernel: number | null;
    };
    events: EventAccounting;
    /** the daemon's audit socket: peak unread bytes and drop-counter increments (timed-out kernel sends) */
    socket: { peakUnreadBytes: number | null; drops: number };
    cgroupPeakBytes: number | null;
    /** the daemon's record counters, beside the accounting: never used to explain log loss */
    daemonCounters: { pluginDroppedRecords: number | null; malformedDatagrams: number | null; droppedRecords: Record<string, number> | null };
    /** CPU seconds the daemon used over the run (user + system) */
    daemonCpuSeconds: number;
  };
  seed: number;
  auid: number;
  durationMs: number;
  /** how the run ended: completed, interrupted (Ctrl-C), or the daemon died */
  ended: 'completed' | 'interrupted' | 'daemon-died';
  daemonStop: StopResult | null;
  loads: LoadTotals['byLoad'];
  oomVictims: AggregateSummary['oomVictims'];
  host: { kernel: string; hz: number; cgroup: string | null; daemonVersion: string; memoryLimitBytes: number; memTotalBytes: number };
  /** every fault window: kind, index, when (ms since the run's start, as in metrics.jsonl), what */
  faults: FaultWindowRecord[];
  /** per fault window: recovery time, loss during/after, RSS peak (empty without faults) */
  recovery: FaultRecovery[];
  /** soak runs (10 minutes or more): leak checks, harness RSS, checkpoints */
  soak: SoakReport | null;
  warnings: string[];
  dir: string;
}

export interface RunOutcome {
  summary: RunSummary;
  dir: string;
  exitCode: number;
}

const DRAIN_TIMEOUT_MS = 30_000;

export async function runScenario(o: RunOptions): Promise<RunOutcome> {
  const s = o.scenario;
  const phase = o.onPhase ?? (() => {});
  // what validate refuses, refused again before the kernel is touched (a Scenario may be built in code)
  const pre = preflight(s);
  if (pre.problems.length > 0) {
    throw new ScenarioError(s.source.path ?? s.name, pre.problems.map((p) => ({ file: s.source.path ?? s.name, line: 0, col: 0, path: p.path, value: '', message: p.message })));
  }
  return withHostSession(async ({ session, signal }) => {
    const daemon = createDaemon({
      kind: s.daemon.name, policy: s.daemon.policy, config: s.daemon.config,
      oomScoreAdj: s.daemon.oomScoreAdj ?? undefined, command: s.daemon.command ?? undefined, log: s.daemon.log ?? undefined, processes: s.daemon.processes, stats: s.daemon.stats ?? undefined,
    });
    const dir = createRunDir(o.outRoot ?? DEFAULT_RESULTS_ROOT, s.name, daemon.label);
    writeFileSync(join(dir, 'scenario.yaml'), scenarioAsRunYaml(s));
    phase(`results: ${dir}`);
    phase(`seed ${s.seed}`);
    return runInSession({
      o, s, session, signal, daemon, dir, phase, warnings: [...s.source.warnings], auid: pickRunAuid(), scratchDir: join(dir, 'scratch'),
    });
  }, { lockWaitMs: o.lockWaitMs });
}

/** What every phase may read. */
interface RunContext {
  o: RunOptions;
  s: Scenario;
  session: HostSession;
  signal: AbortSignal;
  daemon: DaemonUnderTest;
  dir: string;
  phase: (line: string) => void;
  warnings: string[];
  auid: number;
  scratchDir: string;
}

/** What the run holds and must let go of on any exit path. */
interface Held {
  bystanders: Bystanders | null;
  sampler: Sampler | null;
  soak: Soak | null;
  loads: LoadSet | null;
  timeline: FaultTimeline | null;
  volume: LogVolume | null;
  window: AccountingWindow | null;
}

async function runInSession(ctx: RunContext): Promise<RunOutcome> {
  const held: Held = { bystanders: null, sampler: null, soak: null, loads: null, timeline: null, volume: null, window: null };
  try {
    const host = await prepare(ctx, held);
    const started = await startDaemon(ctx, host, held);
    const watch = await openWindow(ctx, host, held);
    const load = await runLoad(ctx, host, watch, held);
    await drain(ctx, watch.sampler);
    const closed = await closeWindow(ctx, watch, held);
    const collected = await collect(ctx, load.totals);
    const events = account(load.totals, collected, closed.window);
    const phases: Phases = { host, started, watch, load, closed, collected, events, timeline: held.timeline };
    const judged = await judge(ctx, phases);
    const summary = write(ctx, { ...phases, judged });
    await teardown(host, held);
    // Ctrl-C: what was measured is written, and the exit code says the run was interrupted.
    return { summary, dir: ctx.dir, exitCode: load.ended === 'interrupted' ? interruptExitCode(ctx.signal) : summary.verdict === 'pass' ? 0 : 1 };
  } finally {
    // thaw and continue before anything is killed (the session's undo kills what is left)
    await held.timeline?.stopAll().catch(() => undefined);
    held.loads?.stop();
    if (held.sampler) await held.sampler.stop().catch(() => undefined);
    try { held.soak?.finish(); } catch { /* the checkpoint already on disk is the result */ }
    await held.window?.abort().catch(() => undefined);
    rmSync(ctx.scratchDir, { recursive: true, force: true });
    // daemon, bystanders, loads, cgroup and printk are also undone by the session if we got here by an error
  }
}

// ---- prepare -----------------------------------------------------------------------------------

interface PreparedHost {
  cgroup: RunCgroup;
  cgroupTrackId: number;
  pluginDir: string | null;
  startCtx: StartContext;
  lateStart: boolean;
}

async function prepare(ctx: RunContext, held: Held): Promise<PreparedHost> {
  const { s, session, daemon, dir, phase } = ctx;
  await session.setStatus({ backlogLimit: s.kernel.backlogLimit, backlogWaitTimeMs: s.kernel.backlogWaitTimeMs, rateLimit: s.kernel.rateLimit, failure: s.kernel.failure });
  const runId = dir.split('/').pop()!.replace(/[^A-Za-z0-9._-]/g, '-').slice(-60);
  const cgroup = await createRunCgroup({ runId, memoryLimitBytes: s.daemon.memoryLimitBytes });
  const cgroupTrackId = session.track('cgroup', `cgroup ${cgroup.name}`, [{ op: 'cgroup', name: cgroup.name, dirs: cgroup.allDirs }]);
  phase(`cgroup ${cgroup.name} (v${cgroup.version}), memory limit ${(s.daemon.memoryLimitBytes / 1048576).toFixed(0)} MiB`);
  // Disk faults need the log on a filesystem of the run's own; plugin-stall needs a plugin.
  const notApplicable = faultApplicabilityErrors(s.faults, daemon.kind, { daemonMemoryLimitBytes: s.daemon.memoryLimitBytes, daemonLog: s.daemon.log, host: hostFaultSupport() });
  if (notApplicable.length) throw new FaultApplicabilityError(notApplicable);
  if (s.faults.some((f) => DISK_FAULTS.includes(f.kind))) {
    held.volume = await LogVolume.create({ dir, session, slowLayer: needsSlowLayer(s.faults, cgroup.version) });
    phase(`log volume ${held.volume.loopDevice} (${held.volume.device}) mounted at ${held.volume.mountPoint}`);
  }
  const pluginDir = daemon.kind === 'command' ? null : (s.daemon.config.plugin_dir ?? join(dir, daemon.kind, 'plugins.d'));
  if (pluginDir && s.faults.some((f) => f.kind === 'plugin-stall')) writeSinkPlugin(pluginDir);
  // a dir=@SCRATCH@ rule needs the directory to exist when the kernel takes the rule
  mkdirSync(ctx.scratchDir, { recursive: true });
  const startCtx: StartContext = {
    workDir: dir, session, control: session.control, cgroup, outputFile: join(dir, 'daemon-output.txt'),
    ...(held.volume ? { logDir: held.volume.logDir } : {}),
  };
  return { cgroup, cgroupTrackId, pluginDir, startCtx, lateStart: s.faults.some((f) => f.kind === 'late-start') };
}

// ---- start the daemon ----------------------------------------------------------------------------

interface Started {
  idleRssBytes: number;
  cgroupOomBefore: number;
}

async function startDaemon(ctx: RunContext, host: PreparedHost, held: Held): Promise<Started> {
  const { s, session, daemon, phase, auid } = ctx;
  if (!host.lateStart) {
    await daemon.start(host.startCtx);
    phase(`${daemon.label} started, pid ${daemon.pid()}, registered`);
  } else {
    phase(`${daemon.label} starts late (late-start fault)`);
  }
  await session.setStatus({ enabled: 1 });
  const loaded = await rulesLoad(session, [s.rules.path], { auid, scratch: ctx.scratchDir });
  if (Object.keys(loaded.settings).length) ctx.warnings.push(`${s.rules.file}: its control lines (-b/-r/-e/-f) were ignored; the scenario's kernel settings apply`);
  phase(`${loaded.added.length} rule(s) from ${s.rules.file} scoped to auid ${auid}`);
  if (s.daemon.bystanders.count > 0) {
    held.bystanders = await Bystanders.start({ cgroup: host.cgroup, count: s.daemon.bystanders.count, mib: Math.max(1, Math.round(s.daemon.bystanders.sizeBytes / 1048576)), oomScoreAdj: s.daemon.bystanders.oomScoreAdj });
    session.track('bystanders', `bystanders ${held.bystanders.pids().join(',')}`, held.bystanders.undoSteps());
    phase(`${s.daemon.bystanders.count} bystander(s) in the daemon's cgroup at oom_score_adj ${s.daemon.bystanders.oomScoreAdj}`);
  }
  await sleep(500);
  return { idleRssBytes: readProcStatus(daemon.pid() ?? 0)?.rssBytes ?? 0, cgroupOomBefore: host.cgroup.memoryUsage().oomKills };
}

// ---- open the accounting window ----------------------------------------------------------------

interface Watch {
  window: AccountingWindow;
  sampler: Sampler;
  runStartMs: number;
  kernelBefore: Awaited<ReturnType<HostSession['control']['getStatus']>>;
  rssPoints: Array<{ tMs: number; rss: number }>;
}

async function openWindow(ctx: RunContext, host: PreparedHost, held: Held): Promise<Watch> {
  const { s, session, daemon, dir, auid, o } = ctx;
  const kernelBefore = await session.control.getStatus();
  const window = await AccountingWindow.open(session, auid);
  held.window = window;
  for (const n of window.openNotes) ctx.warnings.push(n);
  const runStartMs = Date.now();
  // Long runs (soaks) keep metrics.jsonl and the harness's memory bounded and checkpoint summary.json.
  held.soak = s.durationMs >= SOAK_MIN_MS
    ? createSoak({ dir, plannedDurationMs: s.durationMs, warmupMs: s.expect.warmupMs, rssSlopeLimit: s.expect.rssSlopeMaxBytesPerSec ?? undefined })
    : null;
  const sampler = new Sampler({
    kmsg: window.kmsg ?? false,
    metricsPath: held.soak?.samplerMetricsPath ?? join(dir, 'metrics.jsonl'), runStartMs,
    daemonPids: () => { const p = daemon.pid(); return p ? [p] : []; },
    cgroup: host.cgroup, audit: session.control, statsFile: daemon.statsPath() || expectedStatsPath(s, dir, daemon),
    trackedPids: () => held.bystanders?.pids() ?? [], warmupMs: s.expect.warmupMs,
  });
  held.sampler = sampler;
  const rssPoints: Watch['rssPoints'] = [];
  sampler.onSample((m: MetricsSample) => {
    if (m.rss != null && m.t >= s.expect.warmupMs) {
      rssPoints.push({ tMs: m.t, rss: m.rss });
      // bounded: thin to every other point when long (soak runs)
      if (rssPoints.length > 8192) for (let i = rssPoints.length - 1; i > 0; i -= 2) rssPoints.splice(i, 1);
    }
    o.onSample?.({
      elapsedMs: m.t, durationMs: s.durationMs, eventsPerSec: m.load?.eventsPerSec ?? 0, rssBytes: m.rss ?? null,
      queueRecords: (m.daemon as { queue?: { records?: number } } | null)?.queue?.records ?? null,
      backlog: m.kernel?.backlog ?? null, lost: m.kernel ? m.kernel.lost - kernelBefore.lost : null,
    });
  });
  await sampler.start();
  held.soak?.attach(sampler, () => ({ scenario: s.name, daemon: daemon.kind, policy: daemon.policy, seed: s.seed, auid, dir }));
  sampler.event('run-start', { auid, seed: s.seed, daemon: daemon.label });
  return { window, sampler, runStartMs, kernelBefore, rssPoints };
}

// ---- load ---------------------------------------------------------------------------------------

interface LoadOutcome {
  totals: LoadTotals;
  ended: RunSummary['ended'];
  loadStartMs: number;
  loadEndMs: number;
}

async function runLoad(ctx: RunContext, host: PreparedHost, watch: Watch, held: Held): Promise<LoadOutcome> {
  const { s, session, daemon, phase, auid, signal } = ctx;
  const sampler = watch.sampler;
  const burstTotals: LoadTotals[] = [];
  const loads = await LoadSet.prepare({
    loads: s.loads, auid, seed: s.seed, scratchDir: ctx.scratchDir, session,
    onProgress: (id, n) => sampler.throughput.report(id, n),
  });
  held.loads = loads;
  if (s.faults.length) {
    const faultCtx: FaultContext = {
      session, daemon, cgroup: host.cgroup, volume: held.volume, pluginDir: host.pluginDir,
      startDaemon: () => daemon.start(host.startCtx),
      burst: { auid, seed: s.seed, scratchDir: ctx.scratchDir, onProgress: (id, n) => sampler.throughput.report(id, n), addTotals: (t) => burstTotals.push(t) },
    };
    held.timeline = new FaultTimeline({ faults: s.faults, ctx: faultCtx, runStartMs: watch.runStartMs, event: (n, f) => held.sampler?.event(n, f) });
    await held.timeline.prepare();
    phase(`${s.faults.length} fault(s) on the timeline: ${s.faults.map((f) => f.kind).join(', ')}`);
  }
  const timeline = held.timeline;
  phase(`${loads.pids.length} load process(es) ready; go`);
  const loadStartMs = Date.now();
  // An explicit timer and controller: Node 20's AbortSignal.any() over a timeout signal can be
  // garbage-collected before it fires, and the run would never end.
  const stopCtl = new AbortController();
  const stopTimer = setTimeout(() => stopCtl.abort(), s.durationMs);
  const onAbort = () => stopCtl.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const stopAt = stopCtl.signal;
  void loads.go(stopAt);
  timeline?.start();
  // a daemon that is down because a fault took it down (crash gap, late start) has not died
  const daemonDied = () => daemon.exited() && !(timeline?.daemonDown() ?? false);
  await Promise.race([
    loads.allDone(),
    new Promise((resolve) => stopAt.addEventListener('abort', resolve, { once: true })),
    (async () => { while (!daemonDied() && !stopAt.aborted) await sleep(100); })(),
  ]);
  clearTimeout(stopTimer);
  signal.removeEventListener('abort', onAbort);
  const ended: RunSummary['ended'] = signal.aborted ? 'interrupted' : daemonDied() ? 'daemon-died' : 'completed';
  // Faults end before the drain: thawed, continued, unthrottled, restarted (in that order).
  if (timeline) {
    await timeline.stopAll();
    phase(`faults ended: ${timeline.windows.length} window(s)${timeline.errors.length ? `, ${timeline.errors.length} error(s)` : ''}`);
  }
  loads.stop();
  const totals = mergeTotals(await loads.finish(15_000), burstTotals);
  const loadEndMs = Date.now();
  sampler.event('load-end', { generated: totals.generated });
  phase(`loads done: ${totals.generated} audited syscalls generated (${ended})`);
  return { totals, ended, loadStartMs, loadEndMs };
}

// ---- drain --------------------------------------------------------------------------------------

/** The kernel's backlog and the daemon's socket buffer empty into the daemon, its queue onto disk. */
async function drain(ctx: RunContext, sampler: Sampler): Promise<void> {
  const { session, daemon, signal } = ctx;
  const start = Date.now();
  while (Date.now() - start < DRAIN_TIMEOUT_MS && !daemon.exited() && !signal.aborted) {
    const k = await session.control.getStatus();
    const q = (sampler.latest?.daemon as { queue?: { records?: number } } | null)?.queue?.records ?? 0;
    const unread = unreadAuditBytes(daemon.pid() ?? 0) ?? 0;
    if (k.backlog === 0 && q === 0 && unread === 0) break;
    await sleep(100);
  }
  await sleep(300);
}

// ---- close the window -----------------------------------------------------------------------------

interface Closed {
  window: WindowFigures;
  kernelAfter: Awaited<ReturnType<HostSession['control']['getStatus']>>;
  stop: StopResult;
  daemonDiedBeforeStop: boolean;
  agg: AggregateSummary;
  soakReport: SoakReport | null;
}

async function closeWindow(ctx: RunContext, watch: Watch, held: Held): Promise<Closed> {
  const { s, session, daemon, phase } = ctx;
  // a crash fault with restart_after: never leaves it dead on purpose
  const crashNever = s.faults.some((f) => f.kind === 'crash' && f.restart_after === 'never');
  const daemonDiedBeforeStop = daemon.exited() && !crashNever;
  const stop = await daemon.stop();
  phase(`${daemon.label} stopped in ${stop.stopMs} ms (exit ${stop.exitCode ?? stop.signal})`);
  watch.sampler.event('daemon-stop', { ...stop });
  const agg = await watch.sampler.stop();
  held.sampler = null;
  const soakReport = held.soak?.finish() ?? null;
  held.soak = null;
  const window = await watch.window.close();
  held.window = null;
  const kernelAfter = await session.control.getStatus();
  return { window, kernelAfter, stop, daemonDiedBeforeStop, agg, soakReport };
}

// ---- collect --------------------------------------------------------------------------------------

interface Collected {
  log: LogScan;
  daemon: DaemonCounters;
}

async function collect(ctx: RunContext, totals: LoadTotals): Promise<Collected> {
  const { s, daemon, auid } = ctx;
  const counters = readDaemonCounters(daemon.statsPath());
  const log = await scanDaemonLog(daemon.logFiles(), { auid, loadPids: Object.keys(totals.byPid).map(Number), format: daemonLogFormat(s) });
  return { log, daemon: counters };
}

// ---- account --------------------------------------------------------------------------------------

function account(totals: LoadTotals, c: Collected, w: WindowFigures): EventAccounting {
  return accountEvents({
    generated: totals.generated,
    generatedByPid: new Map(Object.entries(totals.byPid).map(([pid, n]) => [Number(pid), n])),
    log: c.log,
    kernel: w,
    daemon: c.daemon,
  });
}

// ---- judge ----------------------------------------------------------------------------------------

interface Phases {
  host: PreparedHost;
  started: Started;
  watch: Watch;
  load: LoadOutcome;
  closed: Closed;
  collected: Collected;
  events: EventAccounting;
  timeline: FaultTimeline | null;
}

interface Judged {
  assertions: Assertion[];
  figures: RunFigures;
  peakRssBytes: number;
  slope: SlopeEstimate | null;
  oomKills: number;
  recovery: FaultRecovery[];
  verdict: 'pass' | 'fail';
}

async function judge(ctx: RunContext, p: Phases): Promise<Judged> {
  const { s, daemon, dir, warnings } = ctx;
  const { agg, window: w, kernelAfter } = p.closed;
  const loadSeconds = Math.max(0.001, (p.load.loadEndMs - p.load.loadStartMs) / 1000);
  const oomKills = Math.max(agg.cgroup.oomKills, p.host.cgroup.memoryUsage().oomKills - p.started.cgroupOomBefore,
    agg.oomVictims.filter((v) => (v as { ours?: boolean }).ours).length);
  const slope = rssSlope(p.watch.rssPoints);
  const peakRssBytes = Math.max(agg.peakRssBytes ?? 0, agg.peakHwmBytes ?? 0);
  // with a late start there was no daemon to measure before the load: its RSS at registration
  const idleRssForBound = (p.timeline ? lateStartIdleRss(p.timeline.windows) : null) ?? p.started.idleRssBytes;
  const figures: RunFigures = {
    // unread bytes in its socket are memory held for the daemon too (kernel side)
    peakRssBytes: Math.max(peakRssBytes, agg.peakRssPlusSocketBytes ?? 0),
    peakSocketUnreadBytes: agg.peakSocketRmemBytes ?? undefined,
    idleRssBytes: idleRssForBound, queueBoundBytes: daemon.queueBoundBytes(), queueBoundParts: daemon.queueBoundParts(), slope, oomKills,
    kernelLost: w.lostDelta, throughputEventsPerSec: p.collected.log.events / loadSeconds,
    backlogWaitMs: Math.max(0, kernelAfter.backlogWaitTimeActualMs - p.watch.kernelBefore.backlogWaitTimeActualMs),
    events: p.events,
    incompleteByKernel: incompleteByKernel(p),
    daemonDied: p.closed.daemonDiedBeforeStop ? `daemon exited during the run (${p.closed.stop.exitCode ?? p.closed.stop.signal})` : null,
  };
  const e = s.expect;
  const assertions = evaluate({
    peakRssMax: e.peakRssMax ?? undefined,
    rssSlopeMax: e.rssSlopeMaxBytesPerSec ?? undefined,
    oomKillsMax: e.oomKillsMax ?? undefined,
    silentLossMax: e.silentLossMax ?? undefined,
    lossMax: e.lossMax ?? undefined,
    incompleteMax: e.incompleteMax ?? undefined,
    unexpectedMax: e.unexpectedMax ?? undefined,
    kernelLostMax: e.kernelLostMax ?? undefined,
    throughputMin: e.throughputMin ?? undefined,
    backlogWaitMaxMs: e.backlogWaitMaxMs ?? undefined,
  }, figures);
  let recovery: FaultRecovery[] = [];
  const timeline = p.timeline;
  if (timeline) {
    const rssLimitBytes = e.peakRssMax === 'hwm' ? idleRssForBound + (daemon.queueBoundBytes() ?? 16 * 1024 * 1024) + HWM_SLACK_BYTES : e.peakRssMax;
    const recOpts = { backlogLimit: s.kernel.backlogLimit, rssLimitBytes };
    const { samples } = await readMetrics(join(dir, 'metrics.jsonl'));
    recovery = analyseRecovery(timeline.windows, samples, recOpts);
    assertions.push(...recoveryAssertions(recovery, recOpts), ...timeline.effectAssertions());
    assertions.push({ name: 'faults applied and undone', ok: timeline.errors.length === 0, actual: timeline.errors.length, limit: 0,
      ...(timeline.errors.length ? { detail: timeline.errors.join('; ') } : {}) });
    for (const err of timeline.errors) warnings.push(err);
  }
  if (p.load.ended === 'interrupted') assertions.push({ name: 'run completed', ok: false, actual: 'interrupted', limit: 'completed' });
  const log = p.collected.log;
  // a wait that runs out lasts backlog_wait_time less at most one clock tick
  const longestOp = p.load.totals.maxOpMs;
  if (longestOp !== null && figures.backlogWaitMs > 0 && longestOp + 1000 / kernelHz().hz >= kernelAfter.backlogWaitTimeMs) {
    warnings.push(`an audited op took ${Math.round(longestOp)} ms, at least backlog_wait_time (${kernelAfter.backlogWaitTimeMs} ms) less a clock tick: ` +
      'a caller\'s wait for room in the backlog may have run out, and the kernel drops such a record (counted in lost). The kernel wakes one ' +
      'waiting caller per pass over its backlog, so with several callers waiting, a wait can last several passes: a backlog_wait_time ' +
      'above the longest op leaves none to run out (docs/tsauditd.md, "Which losses remain possible")');
  }
  if (p.load.totals.missingResults) warnings.push(`${p.load.totals.missingResults} load process(es) ended without a result; their last progress counts`);
  if (log.malformedLines) warnings.push(`${log.malformedLines} line(s) of the daemon's log are not audit records`);
  if (log.lateRecords) warnings.push(`${log.lateRecords} record(s) of the daemon's log came too far after their event to be judged with it`);
  if (p.events.unexpected) warnings.push(`${p.events.unexpected} logged event(s) of the run's auid beyond what the loads reported`);
  if (w.missedKmsgRecords) {
    warnings.push(`${w.missedKmsgRecords} kernel-log record(s) were overwritten before they were read: counted as kernelDroppedUnattributed. ` +
      'kauditd prints a whole retry queue (up to backlog_limit records) at once; a larger kernel log (boot with log_buf_len=16M) or a smaller backlog_limit lets every dropped event be named');
  }
  return { assertions, figures, peakRssBytes, slope, oomKills, recovery, verdict: assertions.every((a) => a.ok) ? 'pass' : 'fail' };
}

// ---- write ----------------------------------------------------------------------------------------

function write(ctx: RunContext, p: Phases & { judged: Judged }): RunSummary {
  const { s, daemon, dir, auid } = ctx;
  const { agg, window: w } = p.closed;
  const j = p.judged;
  writeFileSync(join(dir, 'results.tap'), toTap(`${s.name} with ${daemon.label}`, j.assertions));
  writeLogExcerpt(dir, daemon.logFiles());
  const c = p.collected.daemon;
  const summary: RunSummary = {
    scenario: s.name, daemon: daemon.kind, policy: daemon.policy, verdict: j.verdict, assertions: j.assertions,
    metrics: {
      peakRssBytes: j.peakRssBytes, peakRssPlusSocketBytes: agg.peakRssPlusSocketBytes, idleRssBytes: p.started.idleRssBytes,
      rssSlopeBytesPerSec: j.slope ? j.slope.slope : agg.rssSlopeBytesPerSec,
      oomKills: j.oomKills, throughputEventsPerSec: j.figures.throughputEventsPerSec,
      kernel: {
        lost: w.lostDelta, backlogMax: agg.kernel.backlogMax, backlogWaitMs: j.figures.backlogWaitMs,
        backlogWaitTimeMs: p.closed.kernelAfter.backlogWaitTimeMs, longestAuditedOpMs: p.load.totals.maxOpMs,
        printedRecords: w.printedRecords, holdsPrinted: w.holdsPrinted,
        printedEvents: w.printed?.size ?? null, printedEventsLogged: w.printed ? w.printed.countIn(p.collected.log.serials) : null,
        incompleteByKernel: w.printedTrailing ? incompleteByKernel(p) : null,
      },
      events: p.events,
      socket: { peakUnreadBytes: agg.peakSocketRmemBytes, drops: agg.socketDrops },
      cgroupPeakBytes: agg.cgroup.peakBytes,
      daemonCounters: { pluginDroppedRecords: c.pluginDroppedRecords, malformedDatagrams: c.malformedDatagrams, droppedRecords: c.droppedRecords },
      daemonCpuSeconds: agg.cpu.seconds,
    },
    seed: s.seed, auid, durationMs: s.durationMs, ended: p.load.ended, daemonStop: p.closed.stop, loads: p.load.totals.byLoad, oomVictims: agg.oomVictims,
    host: { kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), hz: kernelHz().hz, cgroup: `v${p.host.cgroup.version}`, daemonVersion: daemon.version(), memoryLimitBytes: s.daemon.memoryLimitBytes, memTotalBytes: totalmem() },
    faults: p.timeline?.windows ?? [], recovery: j.recovery, soak: p.closed.soakReport, warnings: ctx.warnings, dir,
  };
  writeJson(dir, 'summary.json', summary);
  return summary;
}

async function teardown(host: PreparedHost, held: Held): Promise<void> {
  if (held.volume) { await held.volume.destroy(); held.volume = null; }
  if (held.bystanders) await held.bystanders.stop();
  await host.cgroup.destroy({ kill: true });
}

// ---- helpers --------------------------------------------------------------------------------------

function incompleteByKernel(p: Pick<Phases, 'closed' | 'collected'>): number {
  const t = p.closed.window.printedTrailing;
  return t ? p.collected.log.incompleteSerials.countIn(t) : 0;
}

/** The stats file tsauditd will write, known before it starts (late-start). */
function expectedStatsPath(s: Scenario, dir: string, daemon: DaemonUnderTest): string | null {
  if (daemon.kind !== 'tsauditd') return null;
  return s.daemon.config.stats_file ?? join(dir, 'tsauditd', 'stats.json');
}

/** With a late start there is no idle RSS before the load: the RSS at registration stands in. */
function lateStartIdleRss(windows: FaultWindowRecord[]): number | null {
  const w = windows.find((x) => x.kind === 'late-start');
  const v = w?.detail.rssAtStartBytes;
  return typeof v === 'number' ? v : null;
}

/** The steady loads' totals plus every burst's. */
function mergeTotals(main: LoadTotals, extra: LoadTotals[]): LoadTotals {
  const out: LoadTotals = { ...main, byLoad: { ...main.byLoad }, byPid: { ...main.byPid }, results: [...main.results] };
  for (const t of extra) {
    out.generated += t.generated;
    out.ops += t.ops;
    out.errors += t.errors;
    out.firstError ??= t.firstError;
    out.missingResults += t.missingResults;
    out.results.push(...t.results);
    out.maxOpMs = maxKnown(out.maxOpMs, t.maxOpMs);
    Object.assign(out.byLoad, t.byLoad);
    for (const [pid, n] of Object.entries(t.byPid ?? {})) out.byPid[Number(pid)] = (out.byPid[Number(pid)] ?? 0) + n;
  }
  return out;
}

/** How the daemon's log is read: a command daemon's log_format (json with its field names), or
 *  the auditd.conf log_format the adapter wrote. */
function daemonLogFormat(s: Scenario): LogFormat {
  if (s.daemon.name !== 'command') return logFormat(s.daemon.config.log_format);
  return s.daemon.logFormat === 'json' && s.daemon.json ? jsonLinesFormat(s.daemon.json) : logFormat(s.daemon.logFormat);
}
