// metrics.jsonl for soak runs, in bounded disk and memory. Design:
// - Full-rate lines (10 Hz) go to segment files metrics.recent-N.jsonl, each covering segmentMs.
// - Only the newest `recentMs` of full-rate data is kept: when a segment falls out of that
//   window it is folded into downsampled lines (one per bucketMs: the bucket's LAST sample, so
//   counters and ids stay exact, plus `ds: {n, t0, t1, min, max}` for every gauge) appended to
//   metrics.jsonl, and deleted. Event lines are copied as they are (capped: maxEvents).
// - bucketMs grows with the planned duration so metrics.jsonl holds at most ~maxHistoryLines
//   downsampled lines, whatever the duration: its size is bounded, not proportional to time.
// - close() appends the remaining recent segments to metrics.jsonl in time order, so a finished
//   soak has ONE metrics.jsonl (downsampled history, then the full-rate tail) that the existing
//   readers take as is. A killed soak has metrics.jsonl + metrics.recent-*.jsonl; readSoakLines()
//   reads both in order.
// Memory: one bucket accumulator and the open segment's stream.
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsEvent, MetricsLine, MetricsSample } from '../metrics/metrics-types.ts';

export interface SoakMetricsOptions {
  dir: string;
  /** planned run length, to size the history buckets */
  plannedDurationMs: number;
  /** full-rate window kept on disk (default 10 min) */
  recentMs?: number;
  /** history lines at most (default 4,000) */
  maxHistoryLines?: number;
  maxEvents?: number;
}

type Gauge = 'rss' | 'hwm' | 'rssAll' | 'cpu' | 'memAvailable' | 'backlog' | 'cgroupUsage' | 'eventsPerSec' | 'queueRecords' | 'queueBytes';
const GAUGES: Array<[Gauge, (s: MetricsSample) => number | null | undefined]> = [
  ['rss', (s) => s.rss], ['hwm', (s) => s.hwm], ['rssAll', (s) => s.rssAll], ['cpu', (s) => s.cpu],
  ['memAvailable', (s) => s.memAvailable], ['backlog', (s) => s.kernel?.backlog], ['cgroupUsage', (s) => s.cgroup?.usage],
  ['eventsPerSec', (s) => s.load.eventsPerSec], ['queueRecords', (s) => s.daemon?.queue?.records], ['queueBytes', (s) => s.daemon?.queue?.bytes],
];

export interface DownsampledLine extends MetricsSample {
  ds: { n: number; t0: number; t1: number; min: Partial<Record<Gauge, number>>; max: Partial<Record<Gauge, number>> };
}

class Bucket {
  n = 0;
  t0 = 0;
  last: MetricsSample | null = null;
  min: Partial<Record<Gauge, number>> = {};
  max: Partial<Record<Gauge, number>> = {};
  add(s: MetricsSample): void {
    if (this.n === 0) this.t0 = s.t;
    this.n++;
    this.last = s;
    for (const [g, get] of GAUGES) {
      const v = get(s);
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (this.min[g] === undefined || v < this.min[g]!) this.min[g] = v;
      if (this.max[g] === undefined || v > this.max[g]!) this.max[g] = v;
    }
  }
  line(): DownsampledLine {
    return { ...this.last!, ds: { n: this.n, t0: this.t0, t1: this.last!.t, min: this.min, max: this.max } };
  }
}

export class SoakMetricsWriter {
  readonly historyPath: string;
  readonly recentMs: number;
  readonly segmentMs: number;
  readonly bucketMs: number;
  private readonly maxEvents: number;
  private seg: { index: number; t0: number; fd: number } | null = null;
  private segments: Array<{ index: number; t0: number; t1: number }> = [];
  private nextIndex = 0;
  private bucket = new Bucket();
  private events = 0;
  private eventsDropped = 0;
  private closed = false;
  historyLines = 0;
  linesWritten = 0;

  constructor(private readonly o: SoakMetricsOptions) {
    this.historyPath = join(o.dir, 'metrics.jsonl');
    this.recentMs = o.recentMs ?? 10 * 60_000;
    this.segmentMs = Math.max(1000, Math.floor(this.recentMs / 2));
    this.bucketMs = Math.max(1000, Math.ceil(o.plannedDurationMs / (o.maxHistoryLines ?? 4000) / 1000) * 1000);
    this.maxEvents = o.maxEvents ?? 20_000;
  }

  private segPath(i: number): string {
    return join(this.o.dir, `metrics.recent-${String(i).padStart(6, '0')}.jsonl`);
  }

  write(line: MetricsLine): void {
    if (this.closed) return;
    const isEvent = 'event' in line;
    if (isEvent) {
      if (this.events >= this.maxEvents) { this.eventsDropped++; return; }
      this.events++;
    }
    if (!this.seg || line.t - this.seg.t0 >= this.segmentMs) this.rotate(line.t);
    writeSync(this.seg!.fd, `${JSON.stringify(line)}\n`);
    this.linesWritten++;
  }

  private rotate(t: number): void {
    if (this.seg) {
      closeSync(this.seg.fd);
      this.segments.push({ index: this.seg.index, t0: this.seg.t0, t1: t });
    }
    const index = this.nextIndex++;
    this.seg = { index, t0: t, fd: openSync(this.segPath(index), 'a') };
    // segments wholly older than the window are folded into the history
    while (this.segments.length && t - this.segments[0].t1 > this.recentMs) this.fold(this.segments.shift()!.index);
  }

  private fold(index: number): void {
    const path = this.segPath(index);
    const out: string[] = [];
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as MetricsLine;
      if ('event' in line) { out.push(text); continue; }
      const s = line as MetricsSample;
      if (this.bucket.n > 0 && s.t - this.bucket.t0 >= this.bucketMs) {
        out.push(JSON.stringify(this.bucket.line()));
        this.bucket = new Bucket();
      }
      this.bucket.add(s);
    }
    if (out.length) appendFileSync(this.historyPath, `${out.join('\n')}\n`);
    this.historyLines += out.length;
    rmSync(path, { force: true });
  }

  /** Fold the open bucket, append the recent segments to metrics.jsonl, remove them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.seg) {
      closeSync(this.seg.fd);
      this.segments.push({ index: this.seg.index, t0: this.seg.t0, t1: Infinity });
      this.seg = null;
    }
    if (this.bucket.n > 0) {
      appendFileSync(this.historyPath, `${JSON.stringify(this.bucket.line())}\n`);
      this.bucket = new Bucket();
    }
    for (const s of this.segments) {
      const p = this.segPath(s.index);
      if (existsSync(p)) appendFileSync(this.historyPath, readFileSync(p));
      rmSync(p, { force: true });
    }
    if (this.eventsDropped) {
      appendFileSync(this.historyPath, `${JSON.stringify({ t: 0, ts: Date.now(), event: 'events-suppressed', count: this.eventsDropped } satisfies MetricsEvent)}\n`);
    }
    this.segments = [];
  }
}

/** A soak's metrics in time order, also for a killed soak (history + leftover segments). */
export function readSoakLines(dir: string): MetricsLine[] {
  const files = [join(dir, 'metrics.jsonl'), ...readdirSync(dir).filter((f) => /^metrics\.recent-\d+\.jsonl$/.test(f)).sort().map((f) => join(dir, f))];
  const out: MetricsLine[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (!text) return;
      try {
        out.push(JSON.parse(text) as MetricsLine);
      } catch (err) {
        // only a last line cut by a kill is tolerated
        if (i < lines.length - 2) throw err;
      }
    });
  }
  return out;
}
