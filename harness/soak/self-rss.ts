// The harness's own memory over a soak: VmRSS of this process every few seconds into a
// bounded downsampled series, and a leak check on it (a harness that grows would fail the
// soak for the wrong reason, or die before the daemon does).
import { readFileSync } from 'node:fs';
import { DownsampledSeries } from '../metrics/downsample.ts';
import { leakCheck, pointsFromBuckets, type LeakVerdict } from './leak-check.ts';

export function selfRssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

export class SelfRssTracker {
  readonly series = new DownsampledSeries(512);
  private timer: NodeJS.Timeout | null = null;
  private readonly t0 = Date.now();
  first: number | null = null;
  peak = 0;

  constructor(private readonly everyMs = 5000, private readonly clock: () => number = () => Date.now() - this.t0) {}

  sample(): number {
    const v = selfRssBytes();
    this.first ??= v;
    this.peak = Math.max(this.peak, v);
    this.series.push(this.clock(), v);
    return v;
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  verdict(warmupMs: number, limitBytesPerSec?: number): LeakVerdict {
    return leakCheck(pointsFromBuckets(this.series.toArray(), warmupMs), limitBytesPerSec);
  }
}
