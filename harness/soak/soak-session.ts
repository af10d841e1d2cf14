// Soak mode for a run: bounded metrics.jsonl (soak-metrics-writer.ts), summary.json
// checkpoints, the daemon's RSS leak check after warm-up, and the harness's own RSS. The runner
// creates one when a run is long (SOAK_MIN_MS), hands its samplerMetricsPath to the Sampler
// (the sampler's own writer then writes nowhere) and attaches it (docs/soak.md).
import { join } from 'node:path';
import type { Sampler } from '../monitors/sampler.ts';
import type { MetricsEvent, MetricsSample } from '../metrics/metrics-types.ts';
import { startCheckpoints, writeJsonAtomic, type Checkpoints } from './checkpoints.ts';
import { DEFAULT_LEAK_LIMIT, leakCheck, pointsFromBuckets, type LeakVerdict } from './leak-check.ts';
import { SelfRssTracker } from './self-rss.ts';
import { SoakMetricsWriter } from './soak-metrics-writer.ts';

/** runs at least this long use soak mode (AUDITSTORM_SOAK_MIN_MS lowers it, to try soak mode on a short run) */
export const SOAK_MIN_MS = Number(process.env.AUDITSTORM_SOAK_MIN_MS) > 0 ? Number(process.env.AUDITSTORM_SOAK_MIN_MS) : 10 * 60_000;

export interface SoakOptions {
  dir: string;
  plannedDurationMs: number;
  warmupMs: number;
  /** leak limit for the daemon's RSS, bytes/s (default 1 MiB/h) */
  rssSlopeLimit?: number | null;
  checkpointMs?: number;
  recentMs?: number;
  selfRssEveryMs?: number;
}

export interface SoakReport {
  daemonLeak: LeakVerdict;
  harnessLeak: LeakVerdict;
  harnessRss: { firstBytes: number | null; peakBytes: number; lastBytes: number };
  metrics: { historyLines: number; linesWritten: number; bucketMs: number; recentMs: number };
  checkpoints: number;
}

export interface Soak {
  /** give this to the Sampler as metricsPath: soak mode writes metrics.jsonl itself */
  readonly samplerMetricsPath: string;
  attach(sampler: Sampler, base: () => Record<string, unknown>): void;
  /** after sampler.stop(), before the final summary.json: stops checkpoints, closes metrics, writes soak.json */
  finish(): SoakReport;
}

export function createSoak(o: SoakOptions): Soak {
  const writer = new SoakMetricsWriter({ dir: o.dir, plannedDurationMs: o.plannedDurationMs, recentMs: o.recentMs });
  const self = new SelfRssTracker(o.selfRssEveryMs ?? 5000).start();
  const limit = o.rssSlopeLimit ?? DEFAULT_LEAK_LIMIT;
  let sampler: Sampler | null = null;
  let cps: Checkpoints | null = null;
  let finished: SoakReport | null = null;
  const daemonLeak = () => leakCheck(pointsFromBuckets(sampler?.aggregates.summary().series.rss.buckets ?? [], o.warmupMs), limit);
  const report = (): SoakReport => ({
    daemonLeak: daemonLeak(),
    harnessLeak: self.verdict(Math.min(o.warmupMs, 60_000), 512 * 1024 / 3600),
    harnessRss: { firstBytes: self.first, peakBytes: self.peak, lastBytes: self.sample() },
    metrics: { historyLines: writer.historyLines, linesWritten: writer.linesWritten, bucketMs: writer.bucketMs, recentMs: writer.recentMs },
    checkpoints: cps?.count ?? 0,
  });
  return {
    samplerMetricsPath: '/dev/null',
    attach(s, base) {
      sampler = s;
      s.onSample((m: MetricsSample) => writer.write(m));
      s.onEvent((e: MetricsEvent) => writer.write(e));
      cps = startCheckpoints({
        dir: o.dir, intervalMs: o.checkpointMs ?? 60_000,
        build: () => {
          const agg = s.aggregates.summary();
          const r = report();
          const { series: _series, ...figures } = agg;
          return {
            ...base(), partial: true, checkpoint: { at: new Date().toISOString(), elapsedMs: agg.lastT, n: (cps?.count ?? 0) + 1 },
            // what can be judged mid-run: a leak so far; the accounting needs the end of the run
            verdict: r.daemonLeak.leak ? 'fail' : 'pass',
            assertions: [{ name: 'RSS slope after warm-up (leak check)', ok: !r.daemonLeak.leak, actual: Math.round(r.daemonLeak.slope), limit: Math.round(limit), detail: r.daemonLeak.reason }],
            metrics: { peakRssBytes: Math.max(agg.peakRssBytes ?? 0, agg.peakHwmBytes ?? 0), rssSlopeBytesPerSec: r.daemonLeak.slope, oomKills: agg.cgroup.oomKills, kernel: agg.kernel, aggregates: figures },
            soak: r,
          };
        },
      });
    },
    finish() {
      if (finished) return finished;
      cps?.stop();
      writer.close();
      self.stop();
      finished = report();
      writeJsonAtomic(join(o.dir, 'soak.json'), finished);
      return finished;
    },
  };
}
