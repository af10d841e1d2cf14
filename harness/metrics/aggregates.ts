// Running aggregates of a run's samples, in bounded memory: peaks, counter deltas, the RSS
// slope after warm-up, and downsampled series for reports. Fed one sample (and event) at a
// time, so an 8-hour soak costs the same memory as a 10-second test.
import { DownsampledSeries, OnlineSlope, type Bucket } from './downsample.ts';
import type { MetricsEvent, MetricsSample } from './metrics-types.ts';

/** Growth of a kernel counter across the run, tolerant of a reset (e.g. `auditctl --reset-lost`). */
export class CounterDelta {
  first: number | null = null;
  last: number | null = null;
  delta = 0;

  push(v: number | null | undefined): void {
    if (v === null || v === undefined) return;
    if (this.last === null) this.first = v;
    else this.delta += v >= this.last ? v - this.last : v;
    this.last = v;
  }
}

/** the larger (smaller) of two figures, either of which may be unknown */
export const maxKnown = (a: number | null, b: number | null | undefined): number | null =>
  b === null || b === undefined ? a : a === null ? b : Math.max(a, b);
const minKnown = (a: number | null, b: number | null | undefined): number | null =>
  b === null || b === undefined ? a : a === null ? b : Math.min(a, b);

export interface OomVictim {
  t: number;
  pid: number;
  name: string;
  memcg: string | null;
  /** killed inside this run's cgroup (or was one of its tracked pids) */
  ours: boolean;
}

export interface AggregateSummary {
  samples: number;
  firstT: number | null;
  lastT: number | null;
  peakRssBytes: number | null;
  peakHwmBytes: number | null;
  peakRssAllBytes: number | null;
  /** peak unread bytes in the daemon's audit socket */
  peakSocketRmemBytes: number | null;
  /** peak of RSS + unread socket bytes in one sample: memory held for the daemon, user and kernel side */
  peakRssPlusSocketBytes: number | null;
  /** increments of the socket's drop counter over the run (summed per daemon process) */
  socketDrops: number;
  /** RSS slope from warmupMs on, bytes/s (exact least squares over every sample) */
  rssSlopeBytesPerSec: number | null;
  warmupMs: number;
  cpu: { maxPct: number | null; meanPct: number | null; seconds: number };
  cgroup: { peakBytes: number | null; oomKills: number };
  kernel: { backlogMax: number | null; lost: number; waitActualMs: number; lostFirst: number | null; lostLast: number | null };
  memAvailableMinBytes: number | null;
  daemon: { queueRecordsMax: number | null; queueBytesMax: number | null; pausedSamples: number; dropped: number; pids: number[] };
  load: { peakEventsPerSec: number | null; total: number };
  /** count of each event name seen */
  events: Record<string, number>;
  /** OOM victims seen in kmsg (first 200) */
  oomVictims: OomVictim[];
  series: Record<'rss' | 'cgroupUsage' | 'backlog' | 'queueRecords' | 'eventsPerSec' | 'cpu', { samplesPerBucket: number; buckets: Bucket[] }>;
}

export class RunAggregates {
  private samples = 0;
  private firstT: number | null = null;
  private lastT: number | null = null;
  private peakRss: number | null = null;
  private peakHwm: number | null = null;
  private peakRssAll: number | null = null;
  private peakRmem: number | null = null;
  private peakRssRmem: number | null = null;
  private socketDrops = 0;
  private lastDrops: { pid: number; drops: number } | null = null;
  private readonly slope = new OnlineSlope();
  private cpuMax: number | null = null;
  private cpuSum = 0;
  private cpuN = 0;
  private cpuSeconds = 0;
  private lastCpu: { pid: number; sec: number } | null = null;
  /** a sample has been taken (with or without a daemon): later new pids started in the window */
  private cpuSampled = false;
  private cgPeak: number | null = null;
  private readonly oom = new CounterDelta();
  private backlogMax: number | null = null;
  private readonly lost = new CounterDelta();
  private readonly wait = new CounterDelta();
  private memAvailMin: number | null = null;
  private queueMax: number | null = null;
  private queueBytesMax: number | null = null;
  private paused = 0;
  private dropped = 0;
  private readonly pids: number[] = [];
  private peakEps: number | null = null;
  private loadTotal = 0;
  private readonly eventCounts: Record<string, number> = {};
  private readonly victims: OomVictim[] = [];
  private readonly series;

  constructor(readonly warmupMs = 0, seriesCapacity = 1024) {
    const s = () => new DownsampledSeries(seriesCapacity);
    this.series = { rss: s(), cgroupUsage: s(), backlog: s(), queueRecords: s(), eventsPerSec: s(), cpu: s() };
  }

  addSample(x: MetricsSample): void {
    this.samples++;
    this.firstT ??= x.t;
    this.lastT = x.t;
    this.peakRss = maxKnown(this.peakRss, x.rss);
    this.peakHwm = maxKnown(this.peakHwm, x.hwm);
    this.peakRssAll = maxKnown(this.peakRssAll, x.rssAll);
    const sock = x.socket ?? null;
    if (sock) {
      this.peakRmem = maxKnown(this.peakRmem, sock.rmem);
      if (x.rss !== null) this.peakRssRmem = maxKnown(this.peakRssRmem, x.rss + sock.rmem);
      // the counter belongs to the socket: a restarted daemon's new socket starts at 0
      if (x.pid !== null) {
        if (this.lastDrops && this.lastDrops.pid === x.pid) this.socketDrops += Math.max(0, sock.drops - this.lastDrops.drops);
        else this.socketDrops += sock.drops;
        this.lastDrops = { pid: x.pid, drops: sock.drops };
      }
    }
    if (x.rss !== null && x.t >= this.warmupMs) this.slope.push(x.t / 1000, x.rss);
    if (x.cpu !== null) {
      this.cpuMax = maxKnown(this.cpuMax, x.cpu);
      this.cpuSum += x.cpu;
      this.cpuN++;
    }
    // CPU seconds over the window, summed per process so a restarted daemon's time adds up. A
    // process already there at the first sample started before the window: its start-up is not
    // the run's, so its count starts there; one first seen later (restart, late start) started
    // inside the window and counts from its start.
    if (x.pid !== null && x.cpuSec !== null) {
      if (this.lastCpu && this.lastCpu.pid === x.pid) this.cpuSeconds += Math.max(0, x.cpuSec - this.lastCpu.sec);
      else if (this.cpuSampled) this.cpuSeconds += x.cpuSec;
      this.lastCpu = { pid: x.pid, sec: x.cpuSec };
      if (!this.pids.includes(x.pid) && this.pids.length < 1000) this.pids.push(x.pid);
    }
    this.cpuSampled = true;
    if (x.cgroup) {
      this.cgPeak = maxKnown(this.cgPeak, x.cgroup.peak);
      this.oom.push(x.cgroup.oomKills);
    }
    if (x.kernel) {
      this.backlogMax = maxKnown(this.backlogMax, x.kernel.backlog);
      this.lost.push(x.kernel.lost);
      this.wait.push(x.kernel.waitActualMs);
    }
    this.memAvailMin = minKnown(this.memAvailMin, x.memAvailable);
    const q = x.daemon?.queue;
    if (q) {
      this.queueMax = maxKnown(this.queueMax, q.records);
      this.queueBytesMax = maxKnown(this.queueBytesMax, q.bytes);
      if (q.paused) this.paused++;
    }
    if (x.daemon?.dropped) {
      const d = Object.values(x.daemon.dropped).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
      this.dropped = Math.max(this.dropped, d);
    }
    this.peakEps = maxKnown(this.peakEps, x.load.eventsPerSec);
    this.loadTotal = Math.max(this.loadTotal, x.load.total);
    this.series.rss.push(x.t, x.rss);
    this.series.cgroupUsage.push(x.t, x.cgroup?.usage);
    this.series.backlog.push(x.t, x.kernel?.backlog);
    this.series.queueRecords.push(x.t, q?.records);
    this.series.eventsPerSec.push(x.t, x.load.eventsPerSec);
    this.series.cpu.push(x.t, x.cpu);
  }

  addEvent(e: MetricsEvent): void {
    this.eventCounts[e.event] = (this.eventCounts[e.event] ?? 0) + 1;
    if (e.event === 'oom-kill' && this.victims.length < 200) {
      this.victims.push({ t: e.t, pid: Number(e.pid), name: String(e.name), memcg: (e.memcg as string | null) ?? null, ours: e.ours === true });
    }
  }

  /** RSS slope from any warm-up (approximate: over downsampled buckets). */
  rssSlopeFrom(fromMs: number): number | null {
    return this.series.rss.slopePerSec(fromMs);
  }

  summary(): AggregateSummary {
    const ser = (s: DownsampledSeries) => ({ samplesPerBucket: s.samplesPerBucket, buckets: s.toArray() });
    return {
      samples: this.samples,
      firstT: this.firstT,
      lastT: this.lastT,
      peakRssBytes: this.peakRss,
      peakHwmBytes: this.peakHwm,
      peakRssAllBytes: this.peakRssAll,
      peakSocketRmemBytes: this.peakRmem,
      peakRssPlusSocketBytes: this.peakRssRmem,
      socketDrops: this.socketDrops,
      rssSlopeBytesPerSec: this.slope.slope,
      warmupMs: this.warmupMs,
      cpu: { maxPct: this.cpuMax, meanPct: this.cpuN ? Math.round((this.cpuSum / this.cpuN) * 10) / 10 : null, seconds: Math.round(this.cpuSeconds * 100) / 100 },
      // the run cgroup is new: its counter started at 0 with the run
      cgroup: { peakBytes: this.cgPeak, oomKills: this.oom.last ?? 0 },
      kernel: { backlogMax: this.backlogMax, lost: this.lost.delta, waitActualMs: this.wait.delta, lostFirst: this.lost.first, lostLast: this.lost.last },
      memAvailableMinBytes: this.memAvailMin,
      daemon: { queueRecordsMax: this.queueMax, queueBytesMax: this.queueBytesMax, pausedSamples: this.paused, dropped: this.dropped, pids: [...this.pids] },
      load: { peakEventsPerSec: this.peakEps, total: this.loadTotal },
      events: { ...this.eventCounts },
      oomVictims: this.victims.map((v) => ({ ...v })),
      series: {
        rss: ser(this.series.rss), cgroupUsage: ser(this.series.cgroupUsage), backlog: ser(this.series.backlog),
        queueRecords: ser(this.series.queueRecords), eventsPerSec: ser(this.series.eventsPerSec), cpu: ser(this.series.cpu),
      },
    };
  }
}
