// The per-run cgroup as the runner, the monitors and the faults use it, whatever the host's
// cgroup version.
import type { CgroupVersion } from './cgroup-detect.ts';

export interface MemoryUsage {
  /** memory.usage_in_bytes (v1) / memory.current (v2) */
  usageBytes: number;
  /** memory.max_usage_in_bytes (v1) / memory.peak (v2, null on kernels before 5.19) */
  peakBytes: number | null;
  /** null: unlimited */
  limitBytes: number | null;
  /** OOM kills inside this cgroup: memory.oom_control `oom_kill` (v1) / memory.events (v2) */
  oomKills: number;
  /** anonymous memory charged here (heap, stacks): memory.stat `total_rss` (v1) / `anon` (v2); null when unreadable */
  anonBytes: number | null;
  /** page cache charged here (the log's written pages, tmpfs): memory.stat `total_cache` (v1) / `file` (v2); null when unreadable */
  fileBytes: number | null;
}

export interface CpuThrottleStat {
  periods: number;
  throttledPeriods: number;
  throttledUs: number;
}

/** Throttle for one block device; a null or absent field is "no limit". */
export interface IoLimit {
  writeBps?: number | null;
  readBps?: number | null;
  writeIops?: number | null;
  readIops?: number | null;
}

export interface CgroupDirs {
  memory: string;
  /** v1: the same-named group in the cpu hierarchy; v2: same as memory; null: no cpu controller */
  cpu: string | null;
  /** v1: blkio hierarchy; v2: same as memory; null: no io controller */
  io: string | null;
}

export interface RunCgroup {
  readonly name: string;
  readonly version: CgroupVersion;
  readonly dirs: CgroupDirs;
  /** every distinct directory of this group (one on v2, up to three on v1) */
  readonly allDirs: string[];
  /** Set (or raise, or lower live: memory-squeeze) the memory limit; null removes it. Swap is
   *  limited to `swapBytes` (default 0) so the limit is a real one on hosts with swap. On v1 a
   *  limit under what the kernel can reclaim fails with CgroupError code EBUSY; on v2 the kernel
   *  OOM-kills inside the group instead. */
  setMemoryLimit(bytes: number | null, swapBytes?: number): void;
  memoryUsage(): MemoryUsage;
  /** Reset the peak to the current usage; false if the kernel cannot (v2 before 6.12). */
  resetPeak(): boolean;
  /** Move a process (all its threads) into every hierarchy of the group. */
  addPid(pid: number): void;
  /** Processes in the group (memory hierarchy). */
  pids(): number[];
  /** Cap CPU to `cores` (0.1 = a tenth of one core); null removes the cap (cpu-starve). */
  setCpuQuota(cores: number | null, periodUs?: number): void;
  cpuThrottle(): CpuThrottleStat | null;
  /** Throttle I/O to a block device `major:minor` (slow-disk); all-null removes it. */
  setIoLimit(device: string, limit: IoLimit): void;
  /** A command line that enters the group and then execs file: start processes with it so that
   *  all their memory is charged here from the first page (v1 does not move charges that were
   *  made before a move). */
  spawnArgs(file: string, args?: readonly string[]): { file: string; args: string[] };
  /** Remove the group: kill its processes (kill: true) or move them to the parent cgroup
   *  (default), then rmdir every hierarchy's directory. Idempotent. Returns the pids touched. */
  destroy(options?: { kill?: boolean; timeoutMs?: number }): Promise<number[]>;
}
