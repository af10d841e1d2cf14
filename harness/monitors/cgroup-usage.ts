// The run cgroup's memory usage, peak, limit and OOM-kill count, plus CPU throttling (cpu-starve
// evidence). Where the kernel has no peak file (v2 before 5.19) the peak is the highest usage
// we saw, which can miss short spikes between samples.
import type { RunCgroup } from '../host/cgroup-types.ts';

export interface CgroupSample {
  usage: number;
  peak: number;
  limit: number | null;
  oomKills: number;
  /** true when peak is our own sampled maximum, not the kernel's */
  peakSampled: boolean;
  throttledUs: number | null;
  /** memory.stat split of usage: anonymous memory and page cache (null: not readable) */
  anon: number | null;
  file: number | null;
}

export class CgroupUsageMonitor {
  private sampledPeak = 0;

  constructor(private readonly cgroup: RunCgroup) {}

  sample(): CgroupSample | null {
    let u;
    try {
      u = this.cgroup.memoryUsage();
    } catch {
      return null; // removed under us (cleanup raced the last tick)
    }
    this.sampledPeak = Math.max(this.sampledPeak, u.usageBytes);
    let throttledUs: number | null = null;
    try {
      throttledUs = this.cgroup.cpuThrottle()?.throttledUs ?? null;
    } catch {
      throttledUs = null;
    }
    return {
      usage: u.usageBytes,
      peak: u.peakBytes ?? this.sampledPeak,
      limit: u.limitBytes,
      oomKills: u.oomKills,
      peakSampled: u.peakBytes === null,
      throttledUs,
      anon: u.anonBytes,
      file: u.fileBytes,
    };
  }
}
