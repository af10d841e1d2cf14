// cgroup v2: one unified directory carries memory, cpu and io (when the parent enabled them in
// its cgroup.subtree_control).
import { join } from 'node:path';
import { CgroupError, exists, readKeyed, readNumber, writeText } from './cgroup-fs.ts';
import { memoryStat, parseDevice, RunCgroupBase } from './cgroup-base.ts';
import type { CpuThrottleStat, IoLimit, MemoryUsage } from './cgroup-types.ts';

export class CgroupV2 extends RunCgroupBase {
  readonly version = 2 as const;

  setMemoryLimit(bytes: number | null, swapBytes = 0): void {
    this.checkMemoryLimit(bytes, 'memory.max');
    // Swap is limited separately on v2 (memory.swap.max); absent when the kernel has no swap support.
    if (exists(this.mem('memory.swap.max'))) {
      writeText(this.mem('memory.swap.max'), bytes === null ? 'max' : String(swapBytes), 'set swap limit');
    }
    writeText(this.mem('memory.max'), bytes === null ? 'max' : String(bytes), 'set memory limit');
  }

  memoryUsage(): MemoryUsage {
    const limit = readNumber(this.mem('memory.max'));
    return {
      usageBytes: readNumber(this.mem('memory.current')),
      peakBytes: exists(this.mem('memory.peak')) ? readNumber(this.mem('memory.peak')) : null,
      limitBytes: Number.isFinite(limit) ? limit : null,
      oomKills: readKeyed(this.mem('memory.events')).oom_kill ?? 0,
      ...memoryStat(this.mem('memory.stat'), 'anon', 'file'),
    };
  }

  resetPeak(): boolean {
    // Writing to memory.peak resets it since Linux 6.12; older kernels refuse (or lack the file).
    try {
      writeText(this.mem('memory.peak'), 'reset', 'reset peak');
      return true;
    } catch {
      return false;
    }
  }

  setCpuQuota(cores: number | null, periodUs = 100_000): void {
    const dir = this.requireDir('cpu', 'set cpu quota');
    if (cores === null) {
      writeText(join(dir, 'cpu.max'), `max ${periodUs}`, 'remove cpu quota');
      return;
    }
    if (!(cores > 0)) {
      throw new CgroupError('set cpu quota', dir, 'EINVAL', `cores=${cores} must be > 0`, 'e.g. 0.1 for a tenth of a core');
    }
    writeText(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(cores * periodUs))} ${periodUs}`, 'set cpu quota');
  }

  cpuThrottle(): CpuThrottleStat | null {
    if (!this.dirs.cpu) return null;
    const s = readKeyed(join(this.dirs.cpu, 'cpu.stat'));
    return { periods: s.nr_periods ?? 0, throttledPeriods: s.nr_throttled ?? 0, throttledUs: s.throttled_usec ?? 0 };
  }

  setIoLimit(device: string, limit: IoLimit): void {
    const dir = this.requireDir('io', 'set io limit');
    parseDevice(device);
    const v = (x: number | null | undefined) => (x === null || x === undefined ? 'max' : String(Math.round(x)));
    writeText(join(dir, 'io.max'),
      `${device} wbps=${v(limit.writeBps)} rbps=${v(limit.readBps)} wiops=${v(limit.writeIops)} riops=${v(limit.readIops)}`,
      'set io limit');
  }
}
