// cgroup v1: memory, cpu and blkio are separate hierarchies (each may be its own mount), so a
// run's group is up to three same-named directories.
import { join } from 'node:path';
import { CgroupError, exists, readKeyed, readNumber, writeText } from './cgroup-fs.ts';
import { memoryStat, parseDevice, RunCgroupBase } from './cgroup-base.ts';
import type { CpuThrottleStat, IoLimit, MemoryUsage } from './cgroup-types.ts';

// The kernel reports "no limit" as PAGE_COUNTER_MAX pages, a number near 2^63.
const UNLIMITED_ABOVE = 2 ** 62;

export class CgroupV1 extends RunCgroupBase {
  readonly version = 1 as const;

  setMemoryLimit(bytes: number | null, swapBytes = 0): void {
    this.checkMemoryLimit(bytes, 'memory.limit_in_bytes');
    const limit = bytes === null ? '-1' : String(bytes);
    const memswPath = this.mem('memory.memsw.limit_in_bytes');
    if (!exists(memswPath)) {
      writeText(this.mem('memory.limit_in_bytes'), limit, 'set memory limit');
      return;
    }
    // memsw (memory+swap) must never be below the memory limit: raise memsw first, lower it last.
    const memsw = bytes === null ? '-1' : String(bytes + swapBytes);
    const currentMemsw = readNumber(memswPath);
    const raising = bytes === null || bytes + swapBytes >= currentMemsw;
    if (raising) {
      writeText(memswPath, memsw, 'set memory+swap limit');
      writeText(this.mem('memory.limit_in_bytes'), limit, 'set memory limit');
    } else {
      writeText(this.mem('memory.limit_in_bytes'), limit, 'set memory limit');
      writeText(memswPath, memsw, 'set memory+swap limit');
    }
  }

  memoryUsage(): MemoryUsage {
    const limit = readNumber(this.mem('memory.limit_in_bytes'));
    return {
      usageBytes: readNumber(this.mem('memory.usage_in_bytes')),
      peakBytes: readNumber(this.mem('memory.max_usage_in_bytes')),
      limitBytes: limit >= UNLIMITED_ABOVE ? null : limit,
      oomKills: readKeyed(this.mem('memory.oom_control')).oom_kill ?? 0,
      ...memoryStat(this.mem('memory.stat'), 'total_rss', 'total_cache'),
    };
  }

  resetPeak(): boolean {
    writeText(this.mem('memory.max_usage_in_bytes'), '0', 'reset peak');
    return true;
  }

  setCpuQuota(cores: number | null, periodUs = 100_000): void {
    const dir = this.requireDir('cpu', 'set cpu quota');
    if (cores === null) {
      writeText(join(dir, 'cpu.cfs_quota_us'), '-1', 'remove cpu quota');
      return;
    }
    if (!(cores > 0)) {
      throw new CgroupError('set cpu quota', dir, 'EINVAL', `cores=${cores} must be > 0`, 'e.g. 0.1 for a tenth of a core');
    }
    writeText(join(dir, 'cpu.cfs_period_us'), String(periodUs), 'set cpu period');
    // The kernel's minimum quota is 1 ms.
    writeText(join(dir, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(cores * periodUs))), 'set cpu quota');
  }

  cpuThrottle(): CpuThrottleStat | null {
    if (!this.dirs.cpu) return null;
    const s = readKeyed(join(this.dirs.cpu, 'cpu.stat'));
    return { periods: s.nr_periods ?? 0, throttledPeriods: s.nr_throttled ?? 0, throttledUs: (s.throttled_time ?? 0) / 1000 };
  }

  setIoLimit(device: string, limit: IoLimit): void {
    const dir = this.requireDir('io', 'set io limit');
    parseDevice(device);
    const files: Array<[keyof IoLimit, string]> = [
      ['writeBps', 'blkio.throttle.write_bps_device'],
      ['readBps', 'blkio.throttle.read_bps_device'],
      ['writeIops', 'blkio.throttle.write_iops_device'],
      ['readIops', 'blkio.throttle.read_iops_device'],
    ];
    for (const [key, file] of files) {
      const v = limit[key];
      // 0 removes a v1 throttle rule; writing 0 where none exists is accepted too.
      writeText(join(dir, file), `${device} ${v === null || v === undefined ? 0 : Math.round(v)}`, `set ${key}`);
    }
  }
}
