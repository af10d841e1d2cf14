// The run's monitor: one tick loop (10 Hz by default) that asks every source for its figure,
// writes one sample line to metrics.jsonl, feeds the running aggregates, and drains kernel
// messages into event lines. Sources are synchronous reads of small kernel files except the
// audit status, whose netlink answer arrives between ticks (see audit-status.ts), so a tick
// never waits and costs well under a millisecond.
import { performance } from 'node:perf_hooks';
import type { RunCgroup } from '../host/cgroup-types.ts';
import type { AuditControl } from '../kernel/audit-control.ts';
import { RunAggregates, type AggregateSummary } from '../metrics/aggregates.ts';
import { MetricsWriter } from '../metrics/metrics-writer.ts';
import type { MetricsEvent, MetricsSample } from '../metrics/metrics-types.ts';
import { AuditStatusMonitor } from './audit-status.ts';
import { CgroupUsageMonitor } from './cgroup-usage.ts';
import { DaemonStatsMonitor } from './daemon-stats.ts';
import { KmsgMonitor, type KmsgEvent } from './kmsg.ts';
import { readMemAvailableBytes } from './meminfo.ts';
import { ProcessMonitor } from './rss-cpu.ts';
import { ThroughputMonitor } from './throughput.ts';
import { auditSocketStats } from './netlink-socket.ts';

export interface SamplerOptions {
  /** where metrics.jsonl goes (appended) */
  metricsPath: string;
  /** ticks per second (default 10) */
  hz?: number;
  /** epoch ms of the run's start: `t` counts from here (default: start()) */
  runStartMs?: number;
  /** the daemon's pids, main first; called every tick, so restarts are followed */
  daemonPids?: () => readonly number[];
  cgroup?: RunCgroup | null;
  /** an open control socket (e.g. HostSession.control); omit for no kernel figures */
  audit?: Pick<AuditControl, 'getStatus'> | null;
  /** the daemon's stats file, if it writes one */
  statsFile?: string | null;
  /** read /dev/kmsg (default true); or pass a monitor to share */
  kmsg?: boolean | KmsgMonitor;
  /** pids whose OOM kill counts as ours even outside the cgroup (e.g. bystanders) */
  trackedPids?: () => Iterable<number>;
  /** RSS slope is fitted from this time on (ms since run start) */
  warmupMs?: number;
  seriesCapacity?: number;
}

export interface SamplerSelfStats {
  ticks: number;
  /** ticks skipped because the event loop was late by more than a period */
  skippedTicks: number;
  /** wall time spent inside ticks (synchronous work), µs */
  tickUsTotal: number;
  tickUsMax: number;
  /** ticks that blocked for more than two periods (each also an event line) */
  stalls: number;
  /** tickUsTotal as a percentage of the elapsed time: the sampler's own cost, estimated */
  selfCostPct: number;
  linesDropped: number;
  monitorErrors: number;
}

type Listener<T> = (x: T) => void;

export class Sampler {
  readonly throughput: ThroughputMonitor;
  readonly aggregates: RunAggregates;
  private readonly writer: MetricsWriter;
  private readonly periodMs: number;
  private runStartMs: number;
  private readonly proc: ProcessMonitor | null;
  private readonly cgroupMon: CgroupUsageMonitor | null;
  private readonly auditMon: AuditStatusMonitor | null;
  private readonly statsMon: DaemonStatsMonitor | null;
  private kmsg: KmsgMonitor | null = null;
  private ownsKmsg = false;
  /** kernel messages since the last tick: taken by listener, so another poller of a shared
   *  monitor (the accounting window reads it faster) does not take them from the metrics */
  private readonly kmsgPending: KmsgEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private startedAt = 0;
  private lastPid: number | null = null;
  private stopped = false;
  private readonly sampleListeners = new Set<Listener<MetricsSample>>();
  private readonly eventListeners = new Set<Listener<MetricsEvent>>();
  private readonly self = { ticks: 0, skippedTicks: 0, tickUsTotal: 0, tickUsMax: 0, monitorErrors: 0, stalls: 0 };
  /** the most recent sample */
  latest: MetricsSample | null = null;

  constructor(private readonly options: SamplerOptions) {
    this.periodMs = 1000 / (options.hz ?? 10);
    this.runStartMs = options.runStartMs ?? Date.now();
    this.writer = new MetricsWriter(options.metricsPath);
    this.throughput = new ThroughputMonitor();
    this.aggregates = new RunAggregates(options.warmupMs ?? 0, options.seriesCapacity);
    this.proc = options.daemonPids ? new ProcessMonitor(options.daemonPids) : null;
    this.cgroupMon = options.cgroup ? new CgroupUsageMonitor(options.cgroup) : null;
    this.auditMon = options.audit ? new AuditStatusMonitor(options.audit) : null;
    this.statsMon = options.statsFile ? new DaemonStatsMonitor(options.statsFile) : null;
  }

  onSample(l: Listener<MetricsSample>): () => void {
    this.sampleListeners.add(l);
    return () => this.sampleListeners.delete(l);
  }

  onEvent(l: Listener<MetricsEvent>): () => void {
    this.eventListeners.add(l);
    return () => this.eventListeners.delete(l);
  }

  async start(): Promise<void> {
    if (this.options.runStartMs === undefined) this.runStartMs = Date.now();
    const k = this.options.kmsg ?? true;
    if (k instanceof KmsgMonitor) {
      this.kmsg = k;
    } else if (k) {
      try {
        this.kmsg = KmsgMonitor.open();
        this.ownsKmsg = true;
      } catch (err) {
        this.event('monitor-error', { source: 'kmsg', message: `cannot read /dev/kmsg: ${(err as Error).message}` });
      }
    }
    this.kmsg?.on((ev) => { if (this.kmsgPending.length < 10_000) this.kmsgPending.push(ev); });
    await this.auditMon?.refresh();
    this.event('sampler-start', { hz: 1000 / this.periodMs, kmsg: this.kmsg !== null, audit: this.auditMon !== null,
      cgroup: this.options.cgroup?.name ?? null, statsFile: this.options.statsFile ?? null });
    this.startedAt = performance.now();
    this.nextAt = this.startedAt;
    this.tick();
  }

  /** Write an event line now (faults, runner milestones, bystander deaths). */
  event(name: string, fields: Record<string, unknown> = {}): MetricsEvent {
    const ts = Date.now();
    const e: MetricsEvent = { t: ts - this.runStartMs, ts, event: name, ...fields };
    this.writer.write(e);
    this.aggregates.addEvent(e);
    for (const l of this.eventListeners) l(e);
    return e;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = performance.now();
    this.nextAt += this.periodMs;
    if (this.nextAt < now - this.periodMs) {
      // The event loop was blocked: skip the missed ticks instead of firing a burst.
      const missed = Math.floor((now - this.nextAt) / this.periodMs);
      this.self.skippedTicks += missed;
      this.nextAt += missed * this.periodMs;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextAt - now));
  }

  private tick(): void {
    const t0 = performance.now();
    try {
      this.sampleOnce();
    } catch (err) {
      this.self.monitorErrors++;
      if (this.self.monitorErrors <= 10) this.event('monitor-error', { source: 'tick', message: (err as Error).message });
    }
    const us = (performance.now() - t0) * 1000;
    // A tick that blocked for more than two periods is worth a line: the likeliest cause is
    // this process sleeping in the kernel (e.g. audited while the audit backlog is full).
    if (us > 2000 * this.periodMs) {
      this.self.stalls++;
      if (this.self.stalls <= 100) this.event('sampler-stall', { ms: Math.round(us / 1000) });
    }
    this.self.ticks++;
    this.self.tickUsTotal += us;
    if (us > this.self.tickUsMax) this.self.tickUsMax = us;
    this.schedule();
  }

  private isOurs(e: Extract<KmsgEvent, { kind: 'oom-kill' }>): boolean {
    const cg = this.options.cgroup;
    if (cg && e.memcg && (e.memcg === `/${cg.name}` || e.memcg.endsWith(`/${cg.name}`))) return true;
    if (this.options.daemonPids?.().includes(e.pid)) return true;
    for (const p of this.options.trackedPids?.() ?? []) if (p === e.pid) return true;
    return false;
  }

  private sampleOnce(): void {
    const ts = Date.now();
    const t = ts - this.runStartMs;
    let kevents: KmsgEvent[] = [];
    try {
      this.kmsg?.poll();
      kevents = this.kmsgPending.splice(0);
    } catch (err) {
      // a broken kmsg must not cost the other figures: report once, then stop reading it
      this.event('monitor-error', { source: 'kmsg', message: (err as Error).message });
      this.kmsg = null;
    }
    {
      for (const ev of kevents) {
        const { kind, monoUs, text, ...fields } = ev;
        if (kind === 'oom-kill') this.event('oom-kill', { ...fields, ours: this.isOurs(ev), kernelUs: monoUs, text });
        else this.event(kind, { ...fields, kernelUs: monoUs, text });
      }
    }
    const p = this.proc?.sample(ts) ?? null;
    if ((p?.pid ?? null) !== this.lastPid && p) {
      this.event('daemon-pid', { pid: p.pid, previous: this.lastPid });
      this.lastPid = p.pid;
    }
    const c = this.cgroupMon?.sample() ?? null;
    const k = this.auditMon?.poll(ts) ?? null;
    const sample: MetricsSample = {
      t,
      ts,
      pid: p?.pid ?? null,
      rss: p?.rssBytes ?? null,
      hwm: p?.hwmBytes ?? null,
      rssAll: p?.rssAllBytes ?? null,
      cpu: p?.cpuPct ?? null,
      cpuSec: p?.cpuSec ?? null,
      cgroup: c ? { usage: c.usage, peak: c.peak, limit: c.limit, oomKills: c.oomKills, throttledUs: c.throttledUs, anon: c.anon, file: c.file } : null,
      kernel: k ? { backlog: k.backlog, lost: k.lost, waitActualMs: k.waitActualMs, backlogLimit: k.backlogLimit, ageMs: k.ageMs } : null,
      socket: p?.pid ? socketOf(p.pid) : null,
      memAvailable: readMemAvailableBytes(),
      daemon: this.statsMon?.sample(ts) ?? null,
      load: this.throughput.sample(ts),
    };
    this.latest = sample;
    this.writer.write(sample);
    this.aggregates.addSample(sample);
    for (const l of this.sampleListeners) l(sample);
  }

  selfStats(): SamplerSelfStats {
    const elapsedMs = this.startedAt ? performance.now() - this.startedAt : 0;
    return {
      ...this.self,
      tickUsTotal: Math.round(this.self.tickUsTotal),
      tickUsMax: Math.round(this.self.tickUsMax),
      selfCostPct: elapsedMs > 0 ? Math.round((this.self.tickUsTotal / 1000 / elapsedMs) * 100 * 1000) / 1000 : 0,
      linesDropped: this.writer.linesDropped,
    };
  }

  summary(): AggregateSummary {
    return this.aggregates.summary();
  }

  /** Take a last sample (with a fresh kernel status), write sampler-stop, close. Idempotent. */
  async stop(): Promise<AggregateSummary> {
    if (this.stopped) return this.summary();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.auditMon?.refresh();
    try {
      this.sampleOnce();
    } catch (err) {
      this.event('monitor-error', { source: 'final tick', message: (err as Error).message });
    }
    this.event('sampler-stop', { self: this.selfStats() });
    if (this.ownsKmsg) this.kmsg?.close();
    await this.writer.close();
    return this.summary();
  }
}

function socketOf(pid: number): { rmem: number; drops: number } | null {
  const s = auditSocketStats(pid);
  return s && s.sockets ? { rmem: s.rmem, drops: s.drops } : null;
}
