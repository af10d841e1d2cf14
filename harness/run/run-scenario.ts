// `auditstorm run`: one scenario against one daemon on the real kernel. The order matters:
// settings, cgroup, daemon (registered), rules scoped to a fresh auid, bystanders, monitors, loads;
// then loads stop, the kernel backlog and the daemon's queue drain, the daemon stops, and every
// generated event is accounted for from its log. The host session restores the machine on every
// exit path.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelHz } from '../kernel/kernel-hz.ts';
import { withHostSession } from '../host/with-host-session.ts';
import type { HostSession } from '../host/host-session.ts';
import { createRunCgroup } from '../host/cgroup.ts';
import type { RunCgroup } from '../host/cgroup-types.ts';
import { Bystanders } from '../host/bystander.ts';
import { pickRunAuid, rulesLoad } from '../rules/commands.ts';
import type { Scenario } from '../scenario/schema.ts';
import { scenarioAsRunYaml } from '../scenario/load-scenario.ts';
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
import { KmsgMonitor } from '../monitors/kmsg.ts';
import type { MetricsSample } from '../metrics/metrics-types.ts';
import type { AggregateSummary } from '../metrics/aggregates.ts';
import { countLogEvents } from '../verdict/log-events.ts';
import { accountEvents, type EventAccounting } from '../verdict/accounting.ts';
import { evaluate, toTap, type Assertion } from '../verdict/assertions.ts';
import { rssSlope, type SlopeEstimate } from '../verdict/rss-slope.ts';
import { LoadSet, type LoadTotals } from './load-set.ts';
import { unreadAuditBytes } from './socket-backlog.ts';
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
    peakRssBytes: number;
    idleRssBytes: number;
    rssSlopeBytesPerSec: number | null;
    oomKills: number;
    throughputEventsPerSec: number;
    kernel: { lost: number; backlogMax: number | null; backlogWaitMs: number };
    events: EventAccounting;
    cgroupPeakBytes: number | null;
    daemonDropped: number | null;
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
  return withHostSession(async ({ session, signal }) => {
    const daemon = createDaemon({
      kind: s.daemon.name, policy: s.daemon.policy, config: s.daemon.config,
      oomScoreAdj: s.daemon.oomScoreAdj ?? undefined, command: s.daemon.command ?? undefined, log: s.daemon.log ?? undefined,
    });
    const dir = createRunDir(o.outRoot ?? DEFAULT_RESULTS_ROOT, s.name, daemon.label);
    writeFileSync(join(dir, 'scenario.yaml'), scenarioAsRunYaml(s));
    phase(`results: ${dir}`);
    phase(`seed ${s.seed}`);
    return runInSession(o, session, signal, daemon, dir);
  }, { lockWaitMs: o.lockWaitMs });
}

async function runInSession(o: RunOptions, session: HostSession, signal: AbortSignal, daemon: DaemonUnderTest, dir: string): Promise<RunOutcome> {
  const s = o.scenario;
  const phase = o.onPhase ?? (() => {});
  const warnings: string[] = [...s.source.warnings];
  const auid = pickRunAuid();
  const scratchDir = join(dir, 'scratch');
  let cgroup: RunCgroup | null = null;
  let bystanders: Bystanders | null = null;
  let sampler: Sampler | null = null;
  let soak: Soak | null = null;
  let loads: LoadSet | null = null;
  let timeline: FaultTimeline | null = null;
  let volume: LogVolume | null = null;
  const burstTotals: LoadTotals[] = [];
  try {
    await session.setStatus({ backlogLimit: s.kernel.backlogLimit, backlogWaitTimeMs: s.kernel.backlogWaitTimeMs, rateLimit: s.kernel.rateLimit, failure: s.kernel.failure });

    const runId = dir.split('/').pop()!.replace(/[^A-Za-z0-9._-]/g, '-').slice(-60);
    cgroup = await createRunCgroup({ runId, memoryLimitBytes: s.daemon.memoryLimitBytes });
    const cgId = session.track('cgroup', `cgroup ${cgroup.name}`, { name: cgroup.name, dirs: cgroup.allDirs });
    phase(`cgroup ${cgroup.name} (v${cgroup.version}), memory limit ${(s.daemon.memoryLimitBytes / 1048576).toFixed(0)} MiB`);

    // Disk faults need the log on a filesystem of the run's own; plugin-stall needs a plugin.
    const notApplicable = faultApplicabilityErrors(s.faults, daemon.kind, { daemonMemoryLimitBytes: s.daemon.memoryLimitBytes, host: hostFaultSupport() });
    if (notApplicable.length) throw new FaultApplicabilityError(notApplicable);
    if (s.faults.some((f) => DISK_FAULTS.includes(f.kind))) {
      volume = await LogVolume.create({ dir, session, slowLayer: needsSlowLayer(s.faults, cgroup.version) });
      phase(`log volume ${volume.loopDevice} (${volume.device}) mounted at ${volume.mountPoint}`);
    }
    const pluginDir = daemon.kind === 'command' ? null : (s.daemon.config.plugin_dir ?? join(dir, daemon.kind, 'plugins.d'));
    if (pluginDir && s.faults.some((f) => f.kind === 'plugin-stall')) writeSinkPlugin(pluginDir);
    const startCtx: StartContext = {
      workDir: dir, session, control: session.control, cgroup, outputFile: join(dir, 'daemon-output.txt'),
      ...(volume ? { logDir: volume.logDir } : {}),
    };
    const lateStart = s.faults.some((f) => f.kind === 'late-start');
    if (!lateStart) {
      await daemon.start(startCtx);
      phase(`${daemon.label} started, pid ${daemon.pid()}, registered`);
    } else {
      phase(`${daemon.label} starts late (late-start fault)`);
    }
    await session.setStatus({ enabled: 1 });

    // a dir=@SCRATCH@ rule needs the directory to exist when the kernel takes the rule
    mkdirSync(scratchDir, { recursive: true });
    const loaded = await rulesLoad(session, [s.rules.path], { auid, scratch: scratchDir });
    if (Object.keys(loaded.settings).length) warnings.push(`${s.rules.file}: its control lines (-b/-r/-e/-f) were ignored; the scenario's kernel settings apply`);
    phase(`${loaded.added.length} rule(s) from ${s.rules.file} scoped to auid ${auid}`);

    if (s.daemon.bystanders.count > 0) {
      bystanders = await Bystanders.start({ cgroup, count: s.daemon.bystanders.count, mib: Math.max(1, Math.round(s.daemon.bystanders.sizeBytes / 1048576)), oomScoreAdj: s.daemon.bystanders.oomScoreAdj });
      for (const u of bystanders.undoRecords()) session.track('process', `bystander ${u.pid}`, u);
      phase(`${s.daemon.bystanders.count} bystander(s) in the daemon's cgroup at oom_score_adj ${s.daemon.bystanders.oomScoreAdj}`);
    }

    await sleep(500);
    const idleRss = readProcStatus(daemon.pid() ?? 0)?.rssBytes ?? 0;
    const kernelBefore = await session.control.getStatus();
    const cgroupOomBefore = cgroup.memoryUsage().oomKills;

    const rssPoints: Array<{ tMs: number; rss: number }> = [];
    const runStart = Date.now();
    // Long runs (soaks) keep metrics.jsonl and the harness's memory bounded and checkpoint summary.json.
    soak = s.durationMs >= SOAK_MIN_MS
      ? createSoak({ dir, plannedDurationMs: s.durationMs, warmupMs: s.expect.warmupMs, rssSlopeLimit: s.expect.rssSlopeMaxBytesPerSec ?? undefined })
      : null;
    // Records kauditd drops after printing them (its hold path: the daemon's socket stayed full,
    // and the kernel was booted without audit=1) never reach `lost`; the kernel log counts them.
    const kmsg = KmsgMonitor.open();
    let printkSuppressed = 0;
    kmsg.on((e) => { if (e.kind === 'suppressed' && e.source === 'kauditd_printk_skb') printkSuppressed += e.count; });
    let flushRecords = 0;
    const printkDropped = () => Math.max(0, kmsg.printedAuditRecords + printkSuppressed - flushRecords);
    sampler = new Sampler({
      kmsg,
      metricsPath: soak?.samplerMetricsPath ?? join(dir, 'metrics.jsonl'), runStartMs: runStart,
      daemonPids: () => { const p = daemon.pid(); return p ? [p] : []; },
      cgroup, audit: session.control, statsFile: daemon.statsPath() || expectedStatsPath(s, dir, daemon),
      trackedPids: () => bystanders?.pids() ?? [], warmupMs: s.expect.warmupMs,
    });
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
    sampler.start();
    soak?.attach(sampler, () => ({ scenario: s.name, daemon: daemon.kind, policy: daemon.policy, seed: s.seed, auid, dir }));
    sampler.event('run-start', { auid, seed: s.seed, daemon: daemon.label });

    loads = await LoadSet.prepare({
      loads: s.loads, auid, seed: s.seed, scratchDir, session,
      onProgress: (id, n) => sampler!.throughput.report(id, n),
    });
    if (s.faults.length) {
      const faultCtx: FaultContext = {
        session, daemon, cgroup, volume, pluginDir,
        startDaemon: () => daemon.start(startCtx),
        burst: { auid, seed: s.seed, scratchDir, onProgress: (id, n) => sampler!.throughput.report(id, n), addTotals: (t) => burstTotals.push(t) },
      };
      timeline = new FaultTimeline({ faults: s.faults, ctx: faultCtx, runStartMs: runStart, event: (n, f) => sampler?.event(n, f) });
      await timeline.prepare();
      phase(`${s.faults.length} fault(s) on the timeline: ${s.faults.map((f) => f.kind).join(', ')}`);
    }
    phase(`${loads.pids.length} load process(es) ready; go`);
    const loadStart = Date.now();
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
    let ended: RunSummary['ended'] = 'completed';
    await Promise.race([
      loads.allDone(),
      new Promise((resolve) => stopAt.addEventListener('abort', resolve, { once: true })),
      (async () => { while (!daemonDied() && !stopAt.aborted) await sleep(100); })(),
    ]);
    clearTimeout(stopTimer);
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted) ended = 'interrupted';
    else if (daemonDied()) ended = 'daemon-died';
    // Faults end before the drain: thawed, continued, unthrottled, restarted (in that order).
    if (timeline) {
      await timeline.stopAll();
      phase(`faults ended: ${timeline.windows.length} window(s)${timeline.errors.length ? `, ${timeline.errors.length} error(s)` : ''}`);
    }
    loads.stop();
    const totals = mergeTotals(await loads.finish(15_000), burstTotals);
    const loadEnd = Date.now();
    sampler.event('load-end', { generated: totals.generated });
    phase(`loads done: ${totals.generated} audited syscalls generated (${ended})`);

    // Drain: the kernel's backlog and the daemon's socket buffer empty into the daemon, its queue onto disk.
    const drainStart = Date.now();
    while (Date.now() - drainStart < DRAIN_TIMEOUT_MS && !daemon.exited() && !signal.aborted) {
      const k = await session.control.getStatus();
      const q = (sampler.latest?.daemon as { queue?: { records?: number } } | null)?.queue?.records ?? 0;
      const unread = unreadAuditBytes(daemon.pid() ?? 0) ?? 0;
      if (k.backlog === 0 && q === 0 && unread === 0) break;
      await sleep(100);
    }
    await sleep(300);
    const kernelAfter = await session.control.getStatus();
    // a crash fault with restart_after: never leaves it dead on purpose
    const crashNever = s.faults.some((f) => f.kind === 'crash' && f.restart_after === 'never');
    const daemonDiedBeforeStop = daemon.exited() && !crashNever;
    const stop = await daemon.stop();
    await flushPrintkCount(kmsg, session, () => { flushRecords++; });
    phase(`${daemon.label} stopped in ${stop.stopMs} ms (exit ${stop.exitCode ?? stop.signal})`);
    sampler.event('daemon-stop', { ...stop });
    const agg = await sampler.stop();
    const soakReport = soak?.finish() ?? null;
    soak = null;
    sampler = null;
    kmsg.poll();
    kmsg.close();
    const kernelPrintkDropped = printkDropped();

    const daemonDropped = readDaemonDropped(daemon.statsPath());
    const log = await countLogEvents(daemon.logFiles(), auid);
    const kernelLost = Math.max(0, kernelAfter.lost - kernelBefore.lost);
    const events = accountEvents(totals.generated, log, { kernelLost, daemonDropped, kernelPrintkDropped });
    const loadSeconds = Math.max(0.001, (loadEnd - loadStart) / 1000);
    const oomKills = Math.max(agg.cgroup.oomKills, cgroup.memoryUsage().oomKills - cgroupOomBefore,
      agg.oomVictims.filter((v) => (v as { ours?: boolean }).ours).length);
    const slope: SlopeEstimate | null = rssSlope(rssPoints);
    const peakRss = Math.max(agg.peakRssBytes ?? 0, agg.peakHwmBytes ?? 0);
    // with a late start there was no daemon to measure before the load: its RSS at registration
    const idleRssForBound = (timeline ? lateStartIdleRss(timeline.windows) : null) ?? idleRss;
    const figures = {
      peakRssBytes: peakRss, idleRssBytes: idleRssForBound, queueBoundBytes: daemon.queueBoundBytes(), slope, oomKills,
      kernelLost, throughputEventsPerSec: log.events / loadSeconds,
      backlogWaitMs: Math.max(0, kernelAfter.backlogWaitTimeActualMs - kernelBefore.backlogWaitTimeActualMs),
      events,
      daemonDied: daemonDiedBeforeStop ? `daemon exited during the run (${stop.exitCode ?? stop.signal})` : null,
    };
    const expectations = {
      peakRssMax: s.expect.peakRssMax ?? undefined,
      rssSlopeMax: s.expect.rssSlopeMaxBytesPerSec ?? undefined,
      oomKillsMax: s.expect.oomKillsMax ?? undefined,
      silentLossMax: s.expect.silentLossMax ?? undefined,
      kernelLostMax: s.expect.kernelLostMax ?? undefined,
      throughputMin: s.expect.throughputMin ?? undefined,
      backlogWaitMaxMs: s.expect.backlogWaitMaxMs ?? undefined,
    };
    const assertions = evaluate(expectations, figures);
    let recovery: FaultRecovery[] = [];
    if (timeline) {
      const rssLimitBytes = s.expect.peakRssMax === 'hwm' ? idleRssForBound + (daemon.queueBoundBytes() ?? 16 * 1024 * 1024) + HWM_SLACK_BYTES : s.expect.peakRssMax;
      const recOpts = { backlogLimit: s.kernel.backlogLimit, rssLimitBytes };
      const { samples } = await readMetrics(join(dir, 'metrics.jsonl'));
      recovery = analyseRecovery(timeline.windows, samples, recOpts);
      assertions.push(...recoveryAssertions(recovery, recOpts), ...timeline.effectAssertions());
      assertions.push({ name: 'faults applied and undone', ok: timeline.errors.length === 0, actual: timeline.errors.length, limit: 0,
        ...(timeline.errors.length ? { detail: timeline.errors.join('; ') } : {}) });
      for (const e of timeline.errors) warnings.push(e);
    }
    if (ended === 'interrupted') assertions.push({ name: 'run completed', ok: false, actual: 'interrupted', limit: 'completed' });
    if (totals.missingResults) warnings.push(`${totals.missingResults} load process(es) ended without a result; their last progress counts`);
    if (log.malformedLines) warnings.push(`${log.malformedLines} line(s) of the daemon's log are not audit records`);
    if (events.unexpected) warnings.push(`${events.unexpected} logged event(s) of the run's auid beyond what the loads reported`);
    const verdict = assertions.every((a) => a.ok) ? 'pass' : 'fail';
    writeFileSync(join(dir, 'results.tap'), toTap(`${s.name} with ${daemon.label}`, assertions));
    writeLogExcerpt(dir, daemon.logFiles());

    const summary: RunSummary = {
      scenario: s.name, daemon: daemon.kind, policy: daemon.policy, verdict, assertions,
      metrics: {
        peakRssBytes: peakRss, idleRssBytes: idleRss, rssSlopeBytesPerSec: slope ? slope.slope : agg.rssSlopeBytesPerSec,
        oomKills, throughputEventsPerSec: figures.throughputEventsPerSec,
        kernel: { lost: kernelLost, backlogMax: agg.kernel.backlogMax, backlogWaitMs: figures.backlogWaitMs },
        events, cgroupPeakBytes: agg.cgroup.peakBytes, daemonDropped, daemonCpuSeconds: agg.cpu.seconds,
      },
      seed: s.seed, auid, durationMs: s.durationMs, ended, daemonStop: stop, loads: totals.byLoad, oomVictims: agg.oomVictims,
      host: { kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), hz: kernelHz().hz, cgroup: `v${cgroup.version}`, daemonVersion: daemon.version(), memoryLimitBytes: s.daemon.memoryLimitBytes, memTotalBytes: totalmem() },
      faults: timeline?.windows ?? [], recovery, soak: soakReport, warnings, dir,
    };
    writeJson(dir, 'summary.json', summary);

    if (volume) { await volume.destroy(); volume = null; }
    if (bystanders) await bystanders.stop();
    await cgroup.destroy({ kill: true });
    session.untrack(cgId);
    // Ctrl-C: what was measured is written, and the exit code says the run was interrupted.
    return { summary, dir, exitCode: ended === 'interrupted' ? 130 : verdict === 'pass' ? 0 : 1 };
  } finally {
    // thaw and continue before anything is killed (the session's undo kills what is left)
    await timeline?.stopAll().catch(() => undefined);
    loads?.stop();
    if (sampler) await sampler.stop().catch(() => undefined);
    try { soak?.finish(); } catch { /* the checkpoint already on disk is the result */ }
    rmSync(scratchDir, { recursive: true, force: true });
    // daemon, bystanders, loads and cgroup are also undone by the session if we got here by an error
  }
}

/** Everything the daemon says it dropped or did not write, from its final stats file. */
function readDaemonDropped(statsPath: string | null): number | null {
  if (!statsPath) return null;
  try {
    const st = JSON.parse(readFileSync(statsPath, 'utf8')) as { dropped?: Record<string, number> };
    return Object.values(st.dropped ?? {}).reduce((a, b) => a + (Number(b) || 0), 0);
  } catch {
    return null;
  }
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
  const out: LoadTotals = { ...main, byLoad: { ...main.byLoad }, results: [...main.results] };
  for (const t of extra) {
    out.generated += t.generated;
    out.ops += t.ops;
    out.errors += t.errors;
    out.firstError ??= t.firstError;
    out.missingResults += t.missingResults;
    out.results.push(...t.results);
    Object.assign(out.byLoad, t.byLoad);
  }
  return out;
}

/**
 * printk_ratelimit() reports how many calls it suppressed only when a later call passes after its
 * 5 s window. If kauditd printed records lately, wait the window out and make it print one more
 * (a user message while no daemon is registered: printed, then dropped), so the count of the last
 * window reaches the kernel log. Costs at most ~5 s, and only in runs where the kernel dropped.
 */
async function flushPrintkCount(kmsg: KmsgMonitor, session: HostSession, onSent: () => void): Promise<void> {
  kmsg.poll();
  if (!kmsg.lastPrintedAt || Date.now() - kmsg.lastPrintedAt > 6000) return;
  if ((await session.control.getStatus()).pid !== 0) return; // a daemon would receive it instead
  await sleep(Math.max(0, kmsg.lastPrintedAt + 5200 - Date.now()));
  await session.control.sendUserMessage(1005, 'auditstorm: flush the kernel log rate limit count').catch(() => undefined);
  onSent();
  await sleep(300);
  kmsg.poll();
}
